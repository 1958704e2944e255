package verify_test

import (
	"crypto/sha256"
	"net/http"
	"strconv"
	"testing"

	"hookgate/verify"
)

func init() {
	two := [2]string{"first secret", "second secret"}
	addPresetCases(
		presetCase{name: "docusign", secrets: two},
	)
}

// TestDocuSignHeaders covers the numbered signature headers of DocuSign
// Connect: one per HMAC key, any of which may match.
func TestDocuSignHeaders(t *testing.T) {
	const secret, body = "key two", `{"event":"envelope-sent"}`
	good, other := macB64(sha256.New, secret, body), macB64(sha256.New, "key one", body)
	many := http.Header{}
	for i := 1; i <= 101; i++ {
		many.Set("X-DocuSign-Signature-"+strconv.Itoa(i), other)
	}
	tests := []struct {
		name   string
		header http.Header
		want   error
	}{
		{"first", http.Header{"X-Docusign-Signature-1": {good}}, nil},
		{"third of three", http.Header{"X-Docusign-Signature-1": {other}, "X-Docusign-Signature-2": {other}, "X-Docusign-Signature-3": {good}}, nil},
		{"non-canonical name", http.Header{"x-docusign-signature-2": {good}}, nil},
		{"bad one ignored", http.Header{"X-Docusign-Signature-1": {"!!"}, "X-Docusign-Signature-2": {good}}, nil},
		{"none", http.Header{"X-Docusign-Signature": {good}}, verify.ErrNoSignature},
		{"not numbered", http.Header{"X-Docusign-Signature-X": {good}}, verify.ErrNoSignature},
		{"none decodes", http.Header{"X-Docusign-Signature-1": {"abc"}}, verify.ErrMalformed},
		{"101 headers", many, verify.ErrMalformed},
		{"other keys only", http.Header{"X-Docusign-Signature-1": {other}}, verify.ErrMismatch},
	}
	v := mustVerifier(t, "docusign", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: tt.header, Body: []byte(body)}
			if _, err := v.Verify(r, now); !wantErr(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}
