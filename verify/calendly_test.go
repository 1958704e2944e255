package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"

	"hookgate/verify"
)

func init() {
	addPresetCases(presetCase{name: "calendly", secrets: [2]string{"calendly_signing_key_9f8e7d", "another signing key"}})
}

// TestCalendlyHeader covers Calendly-Webhook-Signature, parsed as
// Stripe-Signature is, under its own name and window.
func TestCalendlyHeader(t *testing.T) {
	const secret, body = "calendly_signing_key_9f8e7d", `{"event":"invitee.created"}`
	ts := strconv.FormatInt(now.Unix(), 10)
	good := hex.EncodeToString(hmacOf(sha256.New, secret, ts+"."+body))
	tests := []struct {
		name   string
		header http.Header
		at     time.Time
		want   error // nil: valid
	}{
		{name: "valid", header: http.Header{"Calendly-Webhook-Signature": {"t=" + ts + ",v1=" + good}}, at: now},
		{name: "180 s old", header: http.Header{"Calendly-Webhook-Signature": {"t=" + ts + ",v1=" + good}}, at: now.Add(180 * time.Second)},
		{name: "181 s old", header: http.Header{"Calendly-Webhook-Signature": {"t=" + ts + ",v1=" + good}}, at: now.Add(181 * time.Second), want: verify.ErrTooOld},
		{name: "181 s ahead", header: http.Header{"Calendly-Webhook-Signature": {"t=" + ts + ",v1=" + good}}, at: now.Add(-181 * time.Second), want: verify.ErrTooNew},
		{name: "Stripe's header", header: http.Header{"Stripe-Signature": {"t=" + ts + ",v1=" + good}}, at: now, want: verify.ErrNoSignature},
		{name: "no t", header: http.Header{"Calendly-Webhook-Signature": {"v1=" + good}}, at: now, want: verify.ErrMalformed},
		{name: "Paddle's layout", header: http.Header{"Calendly-Webhook-Signature": {"t=" + ts + ";v1=" + good}}, at: now, want: verify.ErrMalformed},
		{name: "signed with ':'", header: http.Header{"Calendly-Webhook-Signature": {"t=" + ts + ",v1=" + hex.EncodeToString(hmacOf(sha256.New, secret, ts+":"+body))}}, at: now, want: verify.ErrMismatch},
	}
	v := mustVerifier(t, "calendly", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(&verify.Request{Header: tt.header, Body: []byte(body)}, tt.at)
			if !wantErr(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}

// TestCalendlySign reproduces the vector calendly-valid.
func TestCalendlySign(t *testing.T) {
	const body = `{"created_at":"2023-11-14T22:13:20.000000Z","created_by":"https://api.calendly.com/users/AAAAAAAAAAAAAAAA","event":"invitee.created","payload":{"email":"test@example.com","name":"Test"}}`
	r := &verify.Request{Body: []byte(body)}
	if err := verify.Sign("calendly", r, Options{Secrets: []string{"calendly_signing_key_9f8e7d"}}, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	const want = "t=1700000000,v1=485c66317761e81452868d3c6fd9f5ff08015e08041b736d7d7d01bca388d495"
	if got := r.Header.Get("Calendly-Webhook-Signature"); got != want {
		t.Errorf("Sign(calendly) = %q; want %q", got, want)
	}
}
