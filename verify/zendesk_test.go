package verify_test

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestZendeskTimestampBoundary: Zendesk signs {timestamp}{body} with no
// separator, and the timestamp was taken as any text, so the boundary
// could move: the signature of timestamp 2026-12-05T07:56:32Z and body
// {"ticket":1} verified timestamp 2026-12-05T07:56: with body
// 32Z{"ticket":1}. The timestamp must now be RFC 3339, which fixes the
// boundary; still no window is applied.
func TestZendeskTimestampBoundary(t *testing.T) {
	const secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
	v := mustVerifier(t, "zendesk", Options{Secrets: []string{secret}})
	req := func(ts, body, sig string) *verify.Request {
		return &verify.Request{Method: "POST", URL: "https://h.example/webhooks/zendesk", Body: []byte(body), Header: http.Header{
			"X-Zendesk-Webhook-Signature":           {sig},
			"X-Zendesk-Webhook-Signature-Timestamp": {ts},
		}}
	}
	const ts, body = "2026-12-05T07:56:32Z", `{"ticket":1}`
	sig := macB64(sha256.New, secret, ts+body)
	if _, err := v.Verify(req(ts, body, sig), time.Date(2026, 12, 5, 7, 56, 33, 0, time.UTC)); err != nil {
		t.Fatalf("the genuine request: %v", err)
	}
	for _, moved := range []struct{ ts, body string }{
		{"2026-12-05T07:56:", `32Z{"ticket":1}`},
		{"2026-12-05", `T07:56:32Z{"ticket":1}`},
		{"", ts + body},
		{ts + `{"ticket"`, ":1}"},
	} {
		if _, err := v.Verify(req(moved.ts, moved.body, sig), now); err == nil {
			t.Errorf("timestamp %q with body %q verified under the signature of %q + %q", moved.ts, moved.body, ts, body)
		}
	}
	// Zendesk's documented example (2021-07-25T10:00:00Z) and fractional
	// seconds parse; a time years old still verifies (no window).
	for _, ts := range []string{"2021-07-25T10:00:00Z", "2023-11-14T22:13:20.123Z", "2023-11-14T23:13:20+01:00"} {
		if _, err := v.Verify(req(ts, body, macB64(sha256.New, secret, ts+body)), now.Add(3*365*24*time.Hour)); err != nil {
			t.Errorf("timestamp %q: %v; want it verified", ts, err)
		}
	}
	// A timestamp that is not RFC 3339 is malformed, whatever it signs.
	for _, ts := range []string{"1700000000", "2026-12-05 07:56:32Z", "Sat, 05 Dec 2026 07:56:32 GMT"} {
		if _, err := v.Verify(req(ts, body, macB64(sha256.New, secret, ts+body)), now); !errors.Is(err, verify.ErrMalformed) {
			t.Errorf("timestamp %q: %v; want ErrMalformed", ts, err)
		}
	}
}
