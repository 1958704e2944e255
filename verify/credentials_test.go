package verify

import (
	"net/http"
	"slices"
	"testing"
)

// TestCredentialHeaders: every scheme's requests may carry the usual
// credential headers; a token or basic-auth scheme's own headers carry the
// secret itself. Redact replaces their values and keeps the rest.
func TestCredentialHeaders(t *testing.T) {
	token, _ := Lookup("token")
	stripe, _ := Lookup("stripe")
	if got := CredentialHeaders(token, "X-Api-Key"); !slices.Contains(got, "X-Api-Key") || !slices.Contains(got, "Authorization") {
		t.Errorf("CredentialHeaders(token, X-Api-Key) = %v; want X-Api-Key and Authorization", got)
	}
	if got := CredentialHeaders(stripe, "X-Api-Key"); slices.Contains(got, "X-Api-Key") || slices.Contains(got, "Stripe-Signature") {
		t.Errorf("CredentialHeaders(stripe) = %v; want the usual headers only (a signature is no credential)", got)
	}
	h := http.Header{"X-Api-Key": {"secret"}, "Authorization": {"Bearer t"}, "X-Trace": {"1"}}
	r := Redact(h, CredentialHeaders(token, "X-Api-Key"))
	if r.Get("X-Api-Key") != "[redacted]" || r.Get("Authorization") != "[redacted]" || r.Get("X-Trace") != "1" || h.Get("X-Api-Key") != "secret" {
		t.Errorf("Redact = %v (original %v); want the credentials replaced in a copy, the rest kept", r, h)
	}
}
