package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestTwitch covers Twitch EventSub's headers around the recomputed vector
// twitch-valid, and the webhook_callback_verification handshake.
func TestTwitch(t *testing.T) {
	const (
		secret = "twitch_eventsub_secret_0123456789"
		id     = "befa7b53-d79d-478f-86b9-120f112b044e"
		ts     = "2023-11-14T22:13:20.634234626Z"
		sig    = "sha256=fcf620ad01d61b2f86b3e3a1837a2fb328a8a3ef5c3f1e64a42689c7ad607fd2"
		body   = `{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":"channel.follow","version":"2","status":"enabled","cost":0,"condition":{"broadcaster_user_id":"1337","moderator_user_id":"1337"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.634234626Z"},"event":{"user_id":"1234","user_login":"cool_user","broadcaster_user_id":"1337","followed_at":"2020-07-15T18:16:11.17106713Z"}}`
		// A verification request as in Twitch's docs, signed for the test.
		challenge    = "pogchamp-kappa-360noscope-vohiyo"
		verification = `{"challenge":"` + challenge + `","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"webhook_callback_verification_pending","type":"channel.follow","version":"2"}}`
	)
	clock := time.Unix(1700000060, 0)
	sign := func(id, ts, body string) string {
		return "sha256=" + hex.EncodeToString(hmacOf(sha256.New, secret, id+ts+body))
	}
	header := func(id, ts, sig, typ string) http.Header {
		h := http.Header{}
		for k, v := range map[string]string{
			"Twitch-Eventsub-Message-Id": id, "Twitch-Eventsub-Message-Timestamp": ts,
			"Twitch-Eventsub-Message-Signature": sig, "Twitch-Eventsub-Message-Type": typ,
		} {
			if v != "" {
				h.Set(k, v)
			}
		}
		return h
	}
	const shortTS = "2023-11-14T22:13:20Z"
	tests := []struct {
		name   string
		header http.Header
		body   string
		at     time.Time
		want   error  // nil: valid
		answer string // handshake response
	}{
		{name: "vector", header: header(id, ts, sig, "notification"), body: body, at: clock},
		{name: "revocation is an event", header: header(id, ts, sign(id, ts, body), "revocation"), body: body, at: clock},
		{name: "upper-case hex and prefix", header: header(id, ts, "SHA256="+sig[7:], "notification"), body: body, at: clock},
		{name: "whole-second timestamp", header: header(id, shortTS, sign(id, shortTS, body), "notification"), body: body, at: clock},
		{name: "verification", header: header(id, ts, sign(id, ts, verification), "webhook_callback_verification"), body: verification, at: clock, answer: challenge},
		{name: "verification without challenge", header: header(id, ts, sign(id, ts, body), "webhook_callback_verification"), body: body, at: clock, want: verify.ErrMalformed},
		{name: "verification not JSON", header: header(id, ts, sign(id, ts, "challenge"), "webhook_callback_verification"), body: "challenge", at: clock, want: verify.ErrMalformed},
		{name: "verification unsigned", header: header(id, ts, sign(id, ts, body), "webhook_callback_verification"), body: verification, at: clock, want: verify.ErrMismatch},
		{name: "other id", header: header("other", ts, sig, "notification"), body: body, at: clock, want: verify.ErrMismatch},
		{name: "other timestamp", header: header(id, "2023-11-14T22:13:20.634234627Z", sig, "notification"), body: body, at: clock, want: verify.ErrMismatch},
		{name: "tampered", header: header(id, ts, sig, "notification"), body: body + " ", at: clock, want: verify.ErrMismatch},
		{name: "unix timestamp", header: header(id, "1700000000", sign(id, "1700000000", body), "notification"), body: body, at: clock, want: verify.ErrMalformed},
		{name: "no prefix", header: header(id, ts, sig[7:], "notification"), body: body, at: clock, want: verify.ErrMalformed},
		{name: "base64 signature", header: header(id, ts, "sha256=/PYgrQHWGy+Gs+Ohg3ovsyioo+9cPx5kpCaJx61gf9I=", "notification"), body: body, at: clock, want: verify.ErrMalformed},
		{name: "no type", header: header(id, ts, sig, ""), body: body, at: clock, want: verify.ErrNoSignature},
		{name: "no id", header: header("", ts, sig, "notification"), body: body, at: clock, want: verify.ErrNoSignature},
		{name: "at the old edge", header: header(id, ts, sig, "notification"), body: body, at: time.Unix(1700000600, 634234626)},
		{name: "too old", header: header(id, ts, sig, "notification"), body: body, at: time.Unix(1700000600, 634234627), want: verify.ErrTooOld},
		{name: "too new", header: header(id, ts, sig, "notification"), body: body, at: time.Unix(1699999400, 634234625), want: verify.ErrTooNew},
	}
	for _, typ := range []string{"twitch-eventsub", "twitch"} {
		v := mustVerifier(t, typ, Options{Secrets: []string{"other", secret}})
		for _, tt := range tests {
			t.Run(typ+"/"+tt.name, func(t *testing.T) {
				res, err := v.Verify(&verify.Request{Header: tt.header, Body: []byte(tt.body)}, tt.at)
				if !wantResult(res, err, tt.want, 1) {
					t.Fatalf("Verify(%s) = %+v, %v; want index 1, %v", tt.name, res, err, tt.want)
				}
				if err == nil {
					checkTextAnswer(t, tt.name, res, tt.answer)
				}
			})
		}
	}
}

// TestTwitchSign checks that Sign keeps the message ID and type a request
// already has, and writes an RFC 3339 timestamp.
func TestTwitchSign(t *testing.T) {
	r := &verify.Request{Header: http.Header{"Twitch-Eventsub-Message-Id": {"m-1"}, "Twitch-Eventsub-Message-Type": {"revocation"}}, Body: []byte(`{}`)}
	checkSign(t, "twitch", r, Options{Secrets: []string{"s"}}, now.Add(123*time.Millisecond), http.Header{
		"Twitch-Eventsub-Message-Id":        {"m-1"},
		"Twitch-Eventsub-Message-Type":      {"revocation"},
		"Twitch-Eventsub-Message-Timestamp": {"2023-11-14T22:13:20.123Z"},
		"Twitch-Eventsub-Message-Signature": {"sha256=" + hex.EncodeToString(hmacOf(sha256.New, "s", "m-12023-11-14T22:13:20.123Z{}"))},
	})
}
