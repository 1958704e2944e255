package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestCalendlyHeader covers Calendly-Webhook-Signature, parsed as
// Stripe-Signature is, under its own name and window.
func TestCalendlyHeader(t *testing.T) {
	const secret, body = "calendly_signing_key_9f8e7d", `{"event":"invitee.created"}`
	ts := strconv.FormatInt(now.Unix(), 10)
	good := hex.EncodeToString(hmacOf(sha256.New, secret, ts+"."+body))
	sig := oneHeader("Calendly-Webhook-Signature")
	tests := []headerCase{
		{name: "valid", header: sig("t=" + ts + ",v1=" + good)},
		{name: "180 s old", header: sig("t=" + ts + ",v1=" + good), at: now.Add(180 * time.Second)},
		{name: "181 s old", header: sig("t=" + ts + ",v1=" + good), at: now.Add(181 * time.Second), want: verify.ErrTooOld},
		{name: "181 s ahead", header: sig("t=" + ts + ",v1=" + good), at: now.Add(-181 * time.Second), want: verify.ErrTooNew},
		{name: "Stripe's header", header: http.Header{"Stripe-Signature": {"t=" + ts + ",v1=" + good}}, want: verify.ErrNoSignature},
		{name: "no t", header: sig("v1=" + good), want: verify.ErrMalformed},
		{name: "Paddle's layout", header: sig("t=" + ts + ";v1=" + good), want: verify.ErrMalformed},
		{name: "signed with ':'", header: sig("t=" + ts + ",v1=" + hex.EncodeToString(hmacOf(sha256.New, secret, ts+":"+body))), want: verify.ErrMismatch},
	}
	v := mustVerifier(t, "calendly", Options{Secrets: []string{secret}})
	runHeaderCases(t, v, body, tests)
}

// TestCalendlySign reproduces the vector calendly-valid.
func TestCalendlySign(t *testing.T) {
	const body = `{"created_at":"2023-11-14T22:13:20.000000Z","created_by":"https://api.calendly.com/users/AAAAAAAAAAAAAAAA","event":"invitee.created","payload":{"email":"test@example.com","name":"Test"}}`
	checkSign(t, "calendly", &verify.Request{Body: []byte(body)}, Options{Secrets: []string{"calendly_signing_key_9f8e7d"}}, time.Unix(1700000000, 0), http.Header{
		"Calendly-Webhook-Signature": {"t=1700000000,v1=485c66317761e81452868d3c6fd9f5ff08015e08041b736d7d7d01bca388d495"},
	})
}
