package verify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestZoomHandshake checks the answer to endpoint.url_validation. The first
// case is the vector zoom-url-validation; the others are signed here. (It
// is over 80 lines for its table: one short row per case would not fit the
// requests and answers.)
func TestZoomHandshake(t *testing.T) {
	const secret = "zm_secret_token_Abc123Xyz789"
	const vectorBody = `{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`
	encrypted := func(key, token string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(token))
		return hex.EncodeToString(m.Sum(nil))
	}
	type answer struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}
	tests := []struct {
		name    string
		r       *verify.Request
		secrets []string
		at      time.Time
		want    error   // nil: valid
		answer  *answer // nil: no handshake response
	}{
		{
			name: "vector",
			r: &verify.Request{Header: http.Header{
				"X-Zm-Signature":         {"v0=9a3e67d96cecd92fb4d05e920554104679fd7d7a51294cb246beeab700411e3e"},
				"X-Zm-Request-Timestamp": {"1654503849"},
			}, Body: []byte(vectorBody)},
			secrets: []string{secret},
			at:      time.Unix(1654503850, 0),
			answer:  &answer{"qgg8vlvZRS6UYooatFL8Aw", "93a8ea943b6a2ec15e73f2874d77c5daa522ed009a50f97173d6fdd078ba09ba"},
		},
		{
			name:    "second secret answers with its own key",
			r:       zoomSigned(t, "second secret", `{"event":"endpoint.url_validation","payload":{"plainToken":"tok"}}`),
			secrets: []string{secret, "second secret"},
			at:      now,
			answer:  &answer{"tok", encrypted("second secret", "tok")},
		},
		{
			name:    "token needing escapes",
			r:       zoomSigned(t, secret, `{"event":"endpoint.url_validation","payload":{"plainToken":"a\"b<c>"}}`),
			secrets: []string{secret},
			at:      now,
			answer:  &answer{`a"b<c>`, encrypted(secret, `a"b<c>`)},
		},
		{
			name:    "ordinary event",
			r:       zoomSigned(t, secret, `{"event":"meeting.started","payload":{"object":{"topic":"endpoint.url_validation"}}}`),
			secrets: []string{secret},
			at:      now,
		},
		{
			name:    "no plainToken",
			r:       zoomSigned(t, secret, `{"event":"endpoint.url_validation","payload":{}}`),
			secrets: []string{secret},
			at:      now,
			want:    verify.ErrMalformed,
		},
		{
			name: "unsigned",
			r: &verify.Request{Header: http.Header{"X-Zm-Request-Timestamp": {"1654503849"}},
				Body: []byte(vectorBody)},
			secrets: []string{secret},
			at:      time.Unix(1654503850, 0),
			want:    verify.ErrNoSignature,
		},
		{
			name:    "wrong secret",
			r:       zoomSigned(t, "forged", vectorBody),
			secrets: []string{secret},
			at:      now,
			want:    verify.ErrMismatch,
		},
		{
			name:    "replayed",
			r:       zoomSigned(t, secret, vectorBody),
			secrets: []string{secret},
			at:      now.Add(301 * time.Second),
			want:    verify.ErrTooOld,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, "zoom", Options{Secrets: tt.secrets})
			res, err := v.Verify(tt.r, tt.at)
			if !wantErr(err, tt.want) {
				t.Fatalf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
			if err != nil {
				return
			}
			if tt.answer == nil {
				if res.Response != nil {
					t.Errorf("Verify(%s) response = %s; want none", tt.name, res.Response.Body)
				}
				return
			}
			if res.Response == nil {
				t.Fatalf("Verify(%s) response = nil; want %+v", tt.name, *tt.answer)
			}
			var got answer
			if err := json.Unmarshal(res.Response.Body, &got); err != nil || got != *tt.answer || res.Response.ContentType != "application/json" {
				t.Errorf("Verify(%s) response = %q %s (%v); want application/json %+v", tt.name, res.Response.ContentType, res.Response.Body, err, *tt.answer)
			}
		})
	}
}

// zoomSigned returns a zoom request with body signed with secret at now.
func zoomSigned(tb testing.TB, secret, body string) *verify.Request {
	tb.Helper()
	r := &verify.Request{Method: "POST", Body: []byte(body)}
	if err := verify.Sign("zoom", r, Options{Secrets: []string{secret}}, now); err != nil {
		tb.Fatal(err)
	}
	return r
}
