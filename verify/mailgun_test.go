package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestMailgun covers the body-embedded signature around the official vector
// mailgun-sdk-valid (mailgun-php tests/Api/WebhookTest.php).
func TestMailgun(t *testing.T) {
	const (
		secret = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
		ts     = "1403645220"
		token  = "5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6"
		good   = "9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33"
		event  = `"event-data":{"event":"delivered","id":"CPgfbmQMTCKtHW6uIWtuVe","timestamp":1403645220.1}`
	)
	clock := time.Unix(1403645230, 0)
	sig := func(fields string) string { return `{"signature":{` + fields + `},` + event + `}` }
	std := `"timestamp":"` + ts + `","token":"` + token + `","signature":"` + good + `"`
	tests := []struct {
		name string
		body string
		at   time.Time
		want error // nil: valid
	}{
		{name: "vector", body: sig(std), at: clock},
		{name: "signature last", body: `{` + event + `,"signature":{` + std + `}}`, at: clock},
		{name: "timestamp as a number", body: sig(`"timestamp":` + ts + `,"token":"` + token + `","signature":"` + good + `"`), at: clock},
		{name: "upper-case hex", body: sig(`"timestamp":"` + ts + `","token":"` + token + `","signature":"` + strings.ToUpper(good) + `"`), at: clock},
		{name: "parent signature matches", body: sig(`"timestamp":"` + ts + `","token":"` + token + `","signature":"` + strings.Repeat("0", 64) + `","parent-signature":"` + good + `"`), at: clock},
		{name: "unknown fields ignored", body: sig(std + `,"extra":{"a":[1,2]}`), at: clock},
		{name: "escaped key", body: `{"sig\u006eature":{` + std + `}}`, at: clock},
		{name: "event-data not signed", body: strings.Replace(sig(std), "delivered", "failed", 1), at: clock},
		{name: "token swapped", body: sig(`"timestamp":"` + ts + `","token":"owyldpe6nxhmrn78epljl6bj0orrki1u3d2v5e6cnlmmuox8jr","signature":"` + good + `"`), at: clock, want: verify.ErrMismatch},
		{name: "timestamp changed", body: sig(`"timestamp":"1403645221","token":"` + token + `","signature":"` + good + `"`), at: clock, want: verify.ErrMismatch},
		{name: "too old", body: sig(std), at: clock.Add(5 * time.Minute), want: verify.ErrTooOld},
		{name: "too new", body: sig(std), at: time.Unix(1403645220-301, 0), want: verify.ErrTooNew},
		{name: "no signature object", body: `{` + event + `}`, at: clock, want: verify.ErrNoSignature},
		{name: "empty body", at: clock, want: verify.ErrMalformed},
		{name: "form body", body: `timestamp=` + ts + `&token=` + token + `&signature=` + good, at: clock, want: verify.ErrMalformed},
		{name: "no token", body: sig(`"timestamp":"` + ts + `","signature":"` + good + `"`), at: clock, want: verify.ErrNoSignature},
		{name: "empty token", body: sig(`"timestamp":"` + ts + `","token":"","signature":"` + good + `"`), at: clock, want: verify.ErrNoSignature},
		{name: "no timestamp", body: sig(`"token":"` + token + `","signature":"` + good + `"`), at: clock, want: verify.ErrNoSignature},
		{name: "no signature", body: sig(`"timestamp":"` + ts + `","token":"` + token + `"`), at: clock, want: verify.ErrNoSignature},
		{name: "signature not hex", body: sig(`"timestamp":"` + ts + `","token":"` + token + `","signature":"xyz"`), at: clock, want: verify.ErrMalformed},
		{name: "fractional timestamp", body: sig(`"timestamp":"` + ts + `.5","token":"` + token + `","signature":"` + good + `"`), at: clock, want: verify.ErrMalformed},
		{name: "signature not an object", body: `{"signature":"` + good + `"}`, at: clock, want: verify.ErrMalformed},
		{name: "token an object", body: sig(`"timestamp":"` + ts + `","token":{},"signature":"` + good + `"`), at: clock, want: verify.ErrMalformed},
		{name: "signature twice", body: `{"signature":{"timestamp":"1","token":"x","signature":"` + good + `"},"signature":{` + std + `}}`, at: clock, want: verify.ErrMalformed},
		{name: "token twice", body: sig(`"token":"fresh-token",` + std), at: clock, want: verify.ErrMalformed},
		{name: "trailing data", body: sig(std) + `{}`, at: clock, want: verify.ErrMalformed},
		{name: "truncated", body: sig(std)[:40], at: clock, want: verify.ErrMalformed},
		{name: "array", body: `[` + sig(std) + `]`, at: clock, want: verify.ErrMalformed},
	}
	v := mustVerifier(t, "mailgun", Options{Secrets: []string{"key-other", secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVerifyIndex(t, v, &verify.Request{Body: []byte(tt.body)}, tt.at, tt.want, 1)
		})
	}
}

// TestMailgunSign checks the signature object Sign puts into the body.
func TestMailgunSign(t *testing.T) {
	const secret = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
	tests := []struct {
		name, body string
		keep       string // a part of the body that must survive byte for byte
	}{
		{"empty", "", ""},
		{"empty object", " {} ", ""},
		{"event", `{"event-data":{"event":"delivered","id":"CPgfbmQMTCKtHW6uIWtuVe"}}`, `"event-data":{"event":"delivered","id":"CPgfbmQMTCKtHW6uIWtuVe"}}`},
		{"re-sign", `{"signature":{"timestamp":"1","token":"t","signature":"s"},"event-data":{"event":"opened"}}`, `"event-data":{"event":"opened"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Body: []byte(tt.body)}
			if err := verify.Sign("mailgun", r, Options{Secrets: []string{secret}}, now); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(r.Body), tt.keep) {
				t.Errorf("Sign(%s) body = %s; want it to keep %s", tt.name, r.Body, tt.keep)
			}
			var got struct {
				Signature struct{ Timestamp, Token, Signature string }
			}
			if err := json.Unmarshal(r.Body, &got); err != nil {
				t.Fatalf("Sign(%s) body = %s: %v", tt.name, r.Body, err)
			}
			s := got.Signature
			want := hex.EncodeToString(hmacOf(sha256.New, secret, s.Timestamp+s.Token))
			if s.Timestamp != strconv.FormatInt(now.Unix(), 10) || len(s.Token) != 50 || s.Signature != want {
				t.Errorf("Sign(%s) signature = %+v; want timestamp %d, a 50-character token, signature %s", tt.name, s, now.Unix(), want)
			}
		})
	}
	for _, body := range []string{"x", "[]", `"s"`, `{"a":`} {
		if err := verify.Sign("mailgun", &verify.Request{Body: []byte(body)}, Options{Secrets: []string{secret}}, now); err == nil {
			t.Errorf("Sign(mailgun, %q) = nil; want an error", body)
		}
	}
}
