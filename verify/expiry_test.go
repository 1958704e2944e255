package verify_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// expiryCase is one request against secrets with Options.NotAfter.
type expiryCase struct {
	name     string
	notAfter []time.Time
	at       time.Time
	header   http.Header
	want     error // nil: valid
	index    int
}

// runExpiryCases verifies body with each case's header, under typ built
// with secrets and the case's NotAfter.
func runExpiryCases(t *testing.T, typ string, secrets []string, body string, tests []expiryCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, typ, Options{Secrets: secrets, NotAfter: tt.notAfter})
			res, err := v.Verify(&verify.Request{Method: "POST", Header: tt.header, Body: []byte(body)}, tt.at)
			switch {
			case tt.want == nil && (err != nil || res.SecretIndex != tt.index):
				t.Errorf("Verify(%s) = %+v, %v; want index %d, valid", tt.name, res, err, tt.index)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}

// TestExpiryStripeRoll is Stripe rolling a secret: while both are active
// it sends one v1 per secret, the old one's first. Once the old secret has
// expired, the new one's signature must still verify.
func TestExpiryStripeRoll(t *testing.T) {
	const oldS, newS, body = "whsec_old_secret", "whsec_new_secret", `{"id":"evt_1"}`
	ts := strconv.FormatInt(now.Unix(), 10)
	hdr := func(secrets ...string) http.Header {
		h := "t=" + ts
		for _, s := range secrets {
			h += ",v1=" + stripeV1(s, ts, body)
		}
		return http.Header{"Stripe-Signature": {h}}
	}
	expired := []time.Time{now.Add(-time.Hour)}
	later := []time.Time{now.Add(time.Hour)}
	runExpiryCases(t, "stripe", []string{oldS, newS}, body, []expiryCase{
		{name: "both, old expired", notAfter: expired, at: now, header: hdr(oldS, newS), index: 1},
		{name: "both, new first, old expired", notAfter: expired, at: now, header: hdr(newS, oldS), index: 1},
		{name: "only old, expired", notAfter: expired, at: now, header: hdr(oldS), want: verify.ErrSecretExpired},
		{name: "only new, old expired", notAfter: expired, at: now, header: hdr(newS), index: 1},
		{name: "neither", notAfter: expired, at: now, header: hdr("whsec_third"), want: verify.ErrMismatch},
		{name: "both, old not yet expired", notAfter: later, at: now, header: hdr(oldS, newS)},
		{name: "only old, not yet expired", notAfter: later, at: now, header: hdr(oldS)},
		{name: "only old, at its expiry time", notAfter: []time.Time{now}, at: now, header: hdr(oldS)},
		{name: "both, both expired", notAfter: []time.Time{now.Add(-time.Hour), now.Add(-time.Minute)}, at: now, header: hdr(oldS, newS), want: verify.ErrSecretExpired},
	})
}

// TestExpirySpans rotates through three secrets with two expiry times: at
// each time, the first secret in use among those that signed wins.
func TestExpirySpans(t *testing.T) {
	const a, b, c, body = "secret-a", "secret-b", "secret-c", `{"id":"evt_1"}`
	// hdr signs at the time the request is verified.
	hdr := func(at time.Time, secrets ...string) http.Header {
		ts := strconv.FormatInt(at.Unix(), 10)
		h := "t=" + ts
		for _, s := range secrets {
			h += ",v1=" + stripeV1(s, ts, body)
		}
		return http.Header{"Stripe-Signature": {h}}
	}
	before, after := now.Add(-2*time.Hour), now.Add(2*time.Hour)
	// a expires at now+1h, b at now-1h (the expiry times are not in list
	// order), c never.
	secrets := []string{a, b, c}
	notAfter := []time.Time{now.Add(time.Hour), now.Add(-time.Hour), {}}
	runExpiryCases(t, "stripe", secrets, body, []expiryCase{
		{name: "before both", notAfter: notAfter, at: before, header: hdr(before, a, b)},
		{name: "b only, before both", notAfter: notAfter, at: before, header: hdr(before, b), index: 1},
		{name: "between", notAfter: notAfter, at: now, header: hdr(now, a, b)},
		{name: "b and c, between", notAfter: notAfter, at: now, header: hdr(now, b, c), index: 2},
		{name: "b only, between", notAfter: notAfter, at: now, header: hdr(now, b), want: verify.ErrSecretExpired},
		{name: "a and b, after both", notAfter: notAfter, at: after, header: hdr(after, a, b), want: verify.ErrSecretExpired},
		{name: "all three, after both", notAfter: notAfter, at: after, header: hdr(after, a, b, c), index: 2},
	})
}

// TestExpiryStandardWebhooks is a Standard Webhooks sender signing with
// two secrets during a rotation: one v1 entry per secret.
func TestExpiryStandardWebhooks(t *testing.T) {
	const id, body = "msg_1", `{"type":"invoice.paid"}`
	oldKey, newKey := "old key of 24 bytes, ok!", "new key of 24 bytes, ok!"
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := func(key string) string {
		return "v1," + base64.StdEncoding.EncodeToString(hmacOf(sha256.New, key, id+"."+ts+"."+body))
	}
	hdr := func(sigs ...string) http.Header {
		h := http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}}
		for i, s := range sigs {
			if i == 0 {
				h.Set("Webhook-Signature", s)
			} else {
				h.Set("Webhook-Signature", h.Get("Webhook-Signature")+" "+s)
			}
		}
		return h
	}
	expired := []time.Time{now.Add(-time.Hour)}
	runExpiryCases(t, "standard-webhooks", []string{whsec(oldKey), whsec(newKey)}, body, []expiryCase{
		{name: "both, old expired", notAfter: expired, at: now, header: hdr(sig(oldKey), sig(newKey)), index: 1},
		{name: "only old, expired", notAfter: expired, at: now, header: hdr(sig(oldKey)), want: verify.ErrSecretExpired},
		{name: "only new, old expired", notAfter: expired, at: now, header: hdr(sig(newKey)), index: 1},
		{name: "both, old not yet expired", notAfter: []time.Time{now.Add(time.Hour)}, at: now, header: hdr(sig(oldKey), sig(newKey))},
	})
}

// TestExpiryHandshakes checks that a handshake no secret signs is answered
// whatever the secrets' expiry, while signed deliveries still honour it.
func TestExpiryHandshakes(t *testing.T) {
	const oldS, newS = "old-app-secret", "new-app-secret"
	crc := func(secret, token string) string {
		b, _ := json.Marshal(map[string]string{"response_token": "sha256=" + base64.StdEncoding.EncodeToString(hmacOf(sha256.New, secret, token))})
		return string(b)
	}
	tests := []struct {
		name     string
		typ      string
		opts     Options
		r        verify.Request
		want     error // nil: valid
		index    int
		response string // the handshake's body; "" for a delivery
	}{
		{name: "meta GET, first secret expired", typ: "meta",
			opts:  Options{Secrets: []string{oldS, newS}, NotAfter: []time.Time{now.Add(-time.Hour)}, VerifyToken: "vt"},
			r:     verify.Request{Method: "GET", URL: "https://h.example/webhooks/meta?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=42"},
			index: 1, response: "42"},
		{name: "meta GET, all secrets expired", typ: "meta",
			opts:     Options{Secrets: []string{oldS, newS}, NotAfter: []time.Time{now.Add(-time.Hour), now.Add(-time.Hour)}, VerifyToken: "vt"},
			r:        verify.Request{Method: "GET", URL: "https://h.example/webhooks/meta?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=42"},
			response: "42"},
		{name: "meta GET, wrong token, first secret expired", typ: "meta",
			opts: Options{Secrets: []string{oldS, newS}, NotAfter: []time.Time{now.Add(-time.Hour)}, VerifyToken: "vt"},
			r:    verify.Request{Method: "GET", URL: "https://h.example/webhooks/meta?hub.mode=subscribe&hub.verify_token=no&hub.challenge=42"},
			want: verify.ErrMismatch},
		{name: "meta POST by the new secret, first secret expired", typ: "meta",
			opts:  Options{Secrets: []string{oldS, newS}, NotAfter: []time.Time{now.Add(-time.Hour)}, VerifyToken: "vt"},
			r:     verify.Request{Method: "POST", Header: http.Header{"X-Hub-Signature-256": {"sha256=" + kpHex(hmacOf(sha256.New, newS, "{}"))}}, Body: []byte("{}")},
			index: 1},
		{name: "meta POST by the expired secret", typ: "meta",
			opts: Options{Secrets: []string{oldS, newS}, NotAfter: []time.Time{now.Add(-time.Hour)}, VerifyToken: "vt"},
			r:    verify.Request{Method: "POST", Header: http.Header{"X-Hub-Signature-256": {"sha256=" + kpHex(hmacOf(sha256.New, oldS, "{}"))}}, Body: []byte("{}")},
			want: verify.ErrSecretExpired},
		{name: "twitter CRC, first secret expired", typ: "twitter",
			opts:  Options{Secrets: []string{oldS, newS}, NotAfter: []time.Time{now.Add(-time.Hour)}},
			r:     verify.Request{Method: "GET", URL: "https://h.example/webhooks/twitter?crc_token=abc"},
			index: 1, response: crc(newS, "abc")},
		{name: "trello HEAD, only secret expired", typ: "trello",
			opts: Options{Secrets: []string{oldS}, NotAfter: []time.Time{now.Add(-time.Hour)}},
			r:    verify.Request{Method: "HEAD", URL: "https://h.example/webhooks/trello"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, tt.typ, tt.opts)
			res, err := v.Verify(&tt.r, now)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
				}
				return
			}
			if err != nil || res.SecretIndex != tt.index {
				t.Fatalf("Verify(%s) = %+v, %v; want index %d, valid", tt.name, res, err, tt.index)
			}
			handshake := tt.response != "" || tt.r.Method != "POST"
			switch {
			case handshake && res.Response == nil:
				t.Errorf("Verify(%s) response = nil; want %q", tt.name, tt.response)
			case handshake && string(res.Response.Body) != tt.response:
				t.Errorf("Verify(%s) response = %q; want %q", tt.name, res.Response.Body, tt.response)
			case !handshake && res.Response != nil:
				t.Errorf("Verify(%s) response = %+v; want none", tt.name, res.Response)
			}
		})
	}
}

// TestSignSkipsExpiredSecrets: Sign (behind `hookgate sign` and `send`)
// signs with the first secret still in use, so what it produces verifies.
func TestSignSkipsExpiredSecrets(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	o := Options{Secrets: []string{"whsec_old", "whsec_new"}, NotAfter: []time.Time{now.Add(-time.Hour)}}
	for _, tt := range []struct {
		name  string
		at    time.Time
		index int
	}{
		{"old still in use", now.Add(-2 * time.Hour), 0},
		{"old expired", now, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Method: "POST", Body: []byte(`{"id":"evt_1"}`)}
			if err := verify.Sign("stripe", r, o, tt.at); err != nil {
				t.Fatal(err)
			}
			v := mustVerifier(t, "stripe", o)
			if res, err := v.Verify(r, tt.at); err != nil || res.SecretIndex != tt.index {
				t.Errorf("Verify of what Sign made = %+v, %v; want valid with secret %d", res, err, tt.index)
			}
		})
	}
}
