package verify_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestSquareURL covers the notification URL Square signs: the request's,
// or public_url whole.
func TestSquareURL(t *testing.T) {
	const key, body = "signature-key", `{"data":{"type":"webhooks","id":">id<"}}`
	const configured = "https://webhook.site/webhooks"
	sig := func(u string) string {
		return base64.StdEncoding.EncodeToString(hmacOf(sha256.New, key, u+body))
	}
	tests := []struct {
		name      string
		url       string // as the gateway sees it
		publicURL string
		signed    string // the URL Square signed
		want      error  // nil: valid
	}{
		{name: "request URL", url: configured, signed: configured},
		{name: "public_url", url: "http://10.0.0.5:8080/webhooks/square", publicURL: configured, signed: configured},
		{name: "public_url with query", url: "http://10.0.0.5/x", publicURL: configured + "?a=1", signed: configured + "?a=1"},
		{name: "public_url wins over the request", url: configured, publicURL: "https://other.example/webhooks", signed: configured, want: verify.ErrMismatch},
		{name: "behind a proxy without public_url", url: "http://10.0.0.5:8080/webhooks", signed: configured, want: verify.ErrMismatch},
		{name: "trailing slash matters", url: configured + "/", signed: configured, want: verify.ErrMismatch},
		{name: "no URL", signed: configured, want: verify.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, "square", Options{Secrets: []string{key}, PublicURL: tt.publicURL})
			r := &verify.Request{URL: tt.url, Header: http.Header{"X-Square-Hmacsha256-Signature": {sig(tt.signed)}}, Body: []byte(body)}
			checkVerify(t, v, r, now, tt.want)
		})
	}
}

// TestSquareSign reproduces the square-python-sdk test behind the vector
// square-sdk-escaped-body, signed with public_url and with the request URL.
func TestSquareSign(t *testing.T) {
	const want = "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U="
	for _, o := range []Options{
		{Secrets: []string{"signature-key"}},
		{Secrets: []string{"signature-key"}, PublicURL: "https://webhook.site/webhooks"},
	} {
		r := &verify.Request{URL: "https://webhook.site/webhooks", Body: []byte(`{"data":{"type":"webhooks","id":">id<"}}`)}
		if o.PublicURL != "" {
			r.URL = "http://internal/whatever"
		}
		checkSign(t, "square", r, o, now, http.Header{"X-Square-Hmacsha256-Signature": {want}})
	}
	if err := verify.Sign("square", &verify.Request{}, Options{Secrets: []string{"k"}}, now); !errors.Is(err, verify.ErrConfig) {
		t.Errorf("Sign(square, no URL) = %v; want %v", err, verify.ErrConfig)
	}
}
