package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

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
		{name: "delivery", typ: "meta", method: "POST", url: base, header: http.Header{"X-Hub-Signature-256": {sig}}, body: body},
		{name: "delivery, alias", typ: "whatsapp", method: "POST", url: base, header: http.Header{"X-Hub-Signature-256": {sig}}, body: body, token: "vt"},
		{name: "reserialized body", typ: "meta", method: "POST", url: base, header: http.Header{"X-Hub-Signature-256": {sig}}, body: reserialized, want: verify.ErrMismatch},
		{name: "legacy sha1 header only", typ: "meta", method: "POST", url: base, header: http.Header{"X-Hub-Signature": {sig}}, body: body, want: verify.ErrNoSignature},
		{name: "handshake", typ: "facebook", method: "GET", url: base + "?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=1158201444", token: "vt", answer: "1158201444"},
		{name: "handshake, escaped query", typ: "instagram", method: "GET", url: base + "?hub.challenge=a%20b&hub.verify_token=v%26t&hub.mode=subscribe", token: "v&t", answer: "a b"},
		{name: "handshake wrong token", typ: "meta", method: "GET", url: base + "?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", token: "vt", want: verify.ErrMismatch},
		{name: "handshake token prefix", typ: "meta", method: "GET", url: base + "?hub.mode=subscribe&hub.verify_token=v&hub.challenge=1", token: "vt", want: verify.ErrMismatch},
		{name: "handshake without configured token", typ: "meta", method: "GET", url: base + "?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=1", want: verify.ErrMismatch},
		{name: "handshake without token", typ: "meta", method: "GET", url: base + "?hub.mode=subscribe&hub.challenge=1", token: "vt", want: verify.ErrNoSignature},
		{name: "handshake without challenge", typ: "meta", method: "GET", url: base + "?hub.mode=subscribe&hub.verify_token=vt", token: "vt", want: verify.ErrMalformed},
		{name: "handshake other mode", typ: "meta", method: "GET", url: base + "?hub.mode=unsubscribe&hub.verify_token=vt&hub.challenge=1", token: "vt", want: verify.ErrMalformed},
		{name: "GET without query", typ: "meta", method: "GET", url: base, token: "vt", want: verify.ErrMalformed},
		{name: "handshake bad query", typ: "meta", method: "GET", url: base + "?hub.mode=subscribe&hub.verify_token=%zz&hub.challenge=1", token: "vt", want: verify.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, tt.typ, Options{Secrets: []string{secret}, VerifyToken: tt.token})
			res, err := v.Verify(&verify.Request{Method: tt.method, URL: tt.url, Header: tt.header, Body: []byte(tt.body)}, now)
			if !wantErr(err, tt.want) {
				t.Fatalf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
			if err == nil {
				checkTextAnswer(t, tt.name, res, tt.answer)
			}
		})
	}
	if p, _ := verify.Lookup("meta"); len(p.Methods) != 2 {
		t.Errorf("Lookup(meta).Methods = %v; want GET and POST", p.Methods)
	}
}
