package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"testing"

	"hookgate/verify"
)

func init() {
	addPresetCases(presetCase{name: "meta", opts: Options{VerifyToken: "my-verify-token"}, secrets: [2]string{"app-secret-1", "app-secret-2"}})
}

// TestMeta checks deliveries (GitHub's construction over the exact bytes,
// including Meta's \uXXXX escapes) and the GET subscription handshake.
func TestMeta(t *testing.T) {
	const secret = "6ad4b0c6f0c4d6e1c2a3b4c5d6e7f809"
	// Meta escapes non-ASCII; the signature is over these bytes, so the
	// same JSON with the characters unescaped does not verify.
	const body = `{"object":"page","entry":[{"id":"123","time":1700000000,"changes":[{"field":"feed","value":{"message":"caf\u00e9 \u2665"}}]}]}`
	const reserialized = `{"object":"page","entry":[{"id":"123","time":1700000000,"changes":[{"field":"feed","value":{"message":"café ♥"}}]}]}`
	sig := "sha256=" + hex.EncodeToString(hmacOf(sha256.New, secret, body))
	const base = "https://example.com/webhooks/meta"
	tests := []struct {
		name   string
		typ    string
		method string
		url    string
		header http.Header
		body   string
		token  string // Options.VerifyToken
		want   error  // nil: valid
		answer string // handshake response
	}{
		{"delivery", "meta", "POST", base, http.Header{"X-Hub-Signature-256": {sig}}, body, "", nil, ""},
		{"delivery, alias", "whatsapp", "POST", base, http.Header{"X-Hub-Signature-256": {sig}}, body, "vt", nil, ""},
		{"reserialized body", "meta", "POST", base, http.Header{"X-Hub-Signature-256": {sig}}, reserialized, "", verify.ErrMismatch, ""},
		{"legacy sha1 header only", "meta", "POST", base, http.Header{"X-Hub-Signature": {sig}}, body, "", verify.ErrNoSignature, ""},
		{"handshake", "facebook", "GET", base + "?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=1158201444", nil, "", "vt", nil, "1158201444"},
		{"handshake, escaped query", "instagram", "GET", base + "?hub.challenge=a%20b&hub.verify_token=v%26t&hub.mode=subscribe", nil, "", "v&t", nil, "a b"},
		{"handshake wrong token", "meta", "GET", base + "?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", nil, "", "vt", verify.ErrMismatch, ""},
		{"handshake token prefix", "meta", "GET", base + "?hub.mode=subscribe&hub.verify_token=v&hub.challenge=1", nil, "", "vt", verify.ErrMismatch, ""},
		{"handshake without configured token", "meta", "GET", base + "?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=1", nil, "", "", verify.ErrMismatch, ""},
		{"handshake without token", "meta", "GET", base + "?hub.mode=subscribe&hub.challenge=1", nil, "", "vt", verify.ErrNoSignature, ""},
		{"handshake without challenge", "meta", "GET", base + "?hub.mode=subscribe&hub.verify_token=vt", nil, "", "vt", verify.ErrMalformed, ""},
		{"handshake other mode", "meta", "GET", base + "?hub.mode=unsubscribe&hub.verify_token=vt&hub.challenge=1", nil, "", "vt", verify.ErrMalformed, ""},
		{"GET without query", "meta", "GET", base, nil, "", "vt", verify.ErrMalformed, ""},
		{"handshake bad query", "meta", "GET", base + "?hub.mode=subscribe&hub.verify_token=%zz&hub.challenge=1", nil, "", "vt", verify.ErrMalformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := verify.New(tt.typ, Options{Secrets: []string{secret}, VerifyToken: tt.token})
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(&verify.Request{Method: tt.method, URL: tt.url, Header: tt.header, Body: []byte(tt.body)}, now)
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
			switch {
			case err != nil:
			case tt.answer == "" && res.Response != nil:
				t.Errorf("Verify(%s) response = %+v; want none", tt.name, res.Response)
			case tt.answer != "" && (res.Response == nil || string(res.Response.Body) != tt.answer || res.Response.ContentType != "text/plain; charset=utf-8"):
				t.Errorf("Verify(%s) response = %+v; want text/plain %q", tt.name, res.Response, tt.answer)
			}
		})
	}
	if p, _ := verify.Lookup("meta"); len(p.Methods) != 2 {
		t.Errorf("Lookup(meta).Methods = %v; want GET and POST", p.Methods)
	}
}
