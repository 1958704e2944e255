package verify_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestOktaHeaderOption checks that the header option names the header Okta
// was configured to send.
func TestOktaHeaderOption(t *testing.T) {
	v := mustVerifier(t, "okta", Options{Secrets: []string{"tok"}, Header: "X-Hook-Auth"})
	r := &verify.Request{Method: "POST", Header: http.Header{"X-Hook-Auth": {"tok"}}}
	if _, err := v.Verify(r, now); err != nil {
		t.Errorf("Verify(custom header) = %v; want valid", err)
	}
	r = &verify.Request{Method: "POST", Header: http.Header{"Authorization": {"tok"}}}
	if _, err := v.Verify(r, now); !errors.Is(err, verify.ErrNoSignature) {
		t.Errorf("Verify(Authorization) = %v; want %v", err, verify.ErrNoSignature)
	}
}
