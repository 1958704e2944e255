package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"hookgate/verify"
)

func init() {
	addPresetCases(presetCase{
		name: "mailgun", secrets: [2]string{"key-3ax6xnjp29jd6fds4gc373sgvjxteol0", "key-another-signing-key"}, bodyNotSigned: true,
		body: `{"event-data":{"event":"delivered","id":"evt_1"}}`,
	})
}

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
		{"vector", sig(std), clock, nil},
		{"signature last", `{` + event + `,"signature":{` + std + `}}`, clock, nil},
		{"timestamp as a number", sig(`"timestamp":` + ts + `,"token":"` + token + `","signature":"` + good + `"`), clock, nil},
		{"upper-case hex", sig(`"timestamp":"` + ts + `","token":"` + token + `","signature":"` + strings.ToUpper(good) + `"`), clock, nil},
		{"parent signature matches", sig(`"timestamp":"` + ts + `","token":"` + token + `","signature":"` + strings.Repeat("0", 64) + `","parent-signature":"` + good + `"`), clock, nil},
		{"unknown fields ignored", sig(std + `,"extra":{"a":[1,2]}`), clock, nil},
		{"escaped key", `{"sig\u006eature":{` + std + `}}`, clock, nil},
		{"event-data not signed", strings.Replace(sig(std), "delivered", "failed", 1), clock, nil},
		{"token swapped", sig(`"timestamp":"` + ts + `","token":"owyldpe6nxhmrn78epljl6bj0orrki1u3d2v5e6cnlmmuox8jr","signature":"` + good + `"`), clock, verify.ErrMismatch},
		{"timestamp changed", sig(`"timestamp":"1403645221","token":"` + token + `","signature":"` + good + `"`), clock, verify.ErrMismatch},
		{"too old", sig(std), clock.Add(5 * time.Minute), verify.ErrTooOld},
		{"too new", sig(std), time.Unix(1403645220-301, 0), verify.ErrTooNew},
		{"no signature object", `{` + event + `}`, clock, verify.ErrNoSignature},
		{"empty body", ``, clock, verify.ErrMalformed},
		{"form body", `timestamp=` + ts + `&token=` + token + `&signature=` + good, clock, verify.ErrMalformed},
		{"no token", sig(`"timestamp":"` + ts + `","signature":"` + good + `"`), clock, verify.ErrNoSignature},
		{"empty token", sig(`"timestamp":"` + ts + `","token":"","signature":"` + good + `"`), clock, verify.ErrNoSignature},
		{"no timestamp", sig(`"token":"` + token + `","signature":"` + good + `"`), clock, verify.ErrNoSignature},
		{"no signature", sig(`"timestamp":"` + ts + `","token":"` + token + `"`), clock, verify.ErrNoSignature},
		{"signature not hex", sig(`"timestamp":"` + ts + `","token":"` + token + `","signature":"xyz"`), clock, verify.ErrMalformed},
		{"fractional timestamp", sig(`"timestamp":"` + ts + `.5","token":"` + token + `","signature":"` + good + `"`), clock, verify.ErrMalformed},
		{"signature not an object", `{"signature":"` + good + `"}`, clock, verify.ErrMalformed},
		{"token an object", sig(`"timestamp":"` + ts + `","token":{},"signature":"` + good + `"`), clock, verify.ErrMalformed},
		{"signature twice", `{"signature":{"timestamp":"1","token":"x","signature":"` + good + `"},"signature":{` + std + `}}`, clock, verify.ErrMalformed},
		{"token twice", sig(`"token":"fresh-token",` + std), clock, verify.ErrMalformed},
		{"trailing data", sig(std) + `{}`, clock, verify.ErrMalformed},
		{"truncated", sig(std)[:40], clock, verify.ErrMalformed},
		{"array", `[` + sig(std) + `]`, clock, verify.ErrMalformed},
	}
	v, err := verify.New("mailgun", Options{Secrets: []string{"key-other", secret}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.Verify(&verify.Request{Body: []byte(tt.body)}, tt.at)
			if tt.want == nil && (err != nil || res.SecretIndex != 1) || !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %+v, %v; want index 1, %v", tt.name, res, err, tt.want)
			}
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
