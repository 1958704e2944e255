package verify_test

import (
	"crypto/sha256"
	"net/http"
	"strconv"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestDocuSignHeaders covers the numbered signature headers of DocuSign
// Connect: one per HMAC key, any of which may match.
func TestDocuSignHeaders(t *testing.T) {
	const secret, body = "key two", `{"event":"envelope-sent"}`
	good, other := macB64(sha256.New, secret, body), macB64(sha256.New, "key one", body)
	many := http.Header{}
	for i := 1; i <= 101; i++ {
		many.Set("X-DocuSign-Signature-"+strconv.Itoa(i), other)
	}
	tests := []headerCase{
		{name: "first", header: http.Header{"X-Docusign-Signature-1": {good}}},
		{name: "third of three", header: http.Header{"X-Docusign-Signature-1": {other}, "X-Docusign-Signature-2": {other}, "X-Docusign-Signature-3": {good}}},
		{name: "non-canonical name", header: http.Header{"x-docusign-signature-2": {good}}},
		{name: "bad one ignored", header: http.Header{"X-Docusign-Signature-1": {"!!"}, "X-Docusign-Signature-2": {good}}},
		{name: "none", header: http.Header{"X-Docusign-Signature": {good}}, want: verify.ErrNoSignature},
		{name: "not numbered", header: http.Header{"X-Docusign-Signature-X": {good}}, want: verify.ErrNoSignature},
		{name: "none decodes", header: http.Header{"X-Docusign-Signature-1": {"abc"}}, want: verify.ErrMalformed},
		{name: "101 headers", header: many, want: verify.ErrMalformed},
		{name: "other keys only", header: http.Header{"X-Docusign-Signature-1": {other}}, want: verify.ErrMismatch},
	}
	v := mustVerifier(t, "docusign", Options{Secrets: []string{secret}})
	runHeaderCases(t, v, body, tests)
}
