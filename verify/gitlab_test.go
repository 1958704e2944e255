package verify_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestGitLabSigningToken checks the recomputed vector
// gitlab-signing-token-valid (MR 230944: Standard Webhooks with webhook-id
// equal to Idempotency-Key) and the Idempotency-Key rule.
func TestGitLabSigningToken(t *testing.T) {
	const (
		secret = "whsec_lfhCEQ6Ivb7rm9Arwty7uWCpn+xZSUSUI2l6Q836X0c="
		id     = "4fd5d6a6-1c5b-4c36-9f6a-0d2b1f4f5e77"
		body   = `{"object_kind":"push","event_name":"push","ref":"refs/heads/main","project_id":15}`
	)
	clock := time.Unix(1760000002, 0)
	header := func(key string) http.Header {
		h := http.Header{
			"Webhook-Id":        {id},
			"Webhook-Timestamp": {"1760000000"},
			"Webhook-Signature": {"v1,l2SaUBs/DgLjP9bFBsz+xX2O51cYA6UF2wWTMgjF0P8="},
			"X-Gitlab-Event":    {"Push Hook"},
		}
		if key != "" {
			h.Set("Idempotency-Key", key)
		}
		return h
	}
	tests := []struct {
		name   string
		header http.Header
		body   string
		at     time.Time
		want   error // nil: valid
	}{
		{name: "vector", header: header(id), body: body, at: clock},
		{name: "no Idempotency-Key", header: header(""), body: body, at: clock, want: verify.ErrNoSignature},
		{name: "other Idempotency-Key", header: header("a-fresh-key"), body: body, at: clock, want: verify.ErrMismatch},
		// Signed under the svix-* names, with a fresh unsigned webhook-id
		// and Idempotency-Key: the key must equal the ID that is signed.
		{name: "svix-* signed, fresh webhook-id", header: http.Header{
			"Svix-Id":         {id},
			"Svix-Timestamp":  {"1760000000"},
			"Svix-Signature":  {"v1,l2SaUBs/DgLjP9bFBsz+xX2O51cYA6UF2wWTMgjF0P8="},
			"Webhook-Id":      {"a-fresh-key"},
			"Idempotency-Key": {"a-fresh-key"},
		}, body: body, at: clock, want: verify.ErrMismatch},
		{name: "tampered", header: header(id), body: body + " ", at: clock, want: verify.ErrMismatch},
		{name: "too old", header: header(id), body: body, at: clock.Add(5 * time.Minute), want: verify.ErrTooOld},
	}
	v := mustVerifier(t, "gitlab-signing-token", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVerify(t, v, &verify.Request{Header: tt.header, Body: []byte(tt.body)}, tt.at, tt.want)
		})
	}

	// Sign keeps an Idempotency-Key the request already has as the ID.
	r := &verify.Request{Header: http.Header{"Idempotency-Key": {id}}, Body: []byte(body)}
	if err := verify.Sign("gitlab-signing-token", r, Options{Secrets: []string{secret}}, clock); err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("Webhook-Id"); got != id {
		t.Errorf("Sign(with Idempotency-Key) webhook-id = %q; want %q", got, id)
	}
	if _, err := v.Verify(r, clock); err != nil {
		t.Errorf("Verify(signed) = %v; want valid", err)
	}

	if _, err := verify.New("gitlab-signing-token", Options{Secrets: []string{"whsec_***"}}); !errors.Is(err, verify.ErrConfig) {
		t.Errorf("New(secret not base64) = %v; want %v", err, verify.ErrConfig)
	}
}
