package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"hookgate/verify"
)

func init() {
	addPresetCases(presetCase{name: "paddle", secrets: [2]string{"pdl_ntfset_01hsdn8d43dt7mezr1ef2jtbaw_hKkRiCGyyRhbFwIUuqiTBgI7gnWoV0Gr", "VALID_SECRET"}})
}

// TestPaddleHeader covers the parsing of Paddle-Signature: several h1
// (rotation), unknown keys and spaces as in Paddle's SDK tests; strict where
// the header is ambiguous.
func TestPaddleHeader(t *testing.T) {
	const secret, body = "VALID_SECRET", `{"data": ["1", "2"]}`
	ts := strconv.FormatInt(now.Unix(), 10)
	good := hex.EncodeToString(hmacOf(sha256.New, secret, ts+":"+body))
	other := hex.EncodeToString(hmacOf(sha256.New, "OTHER_SECRET", ts+":"+body))
	tests := []struct {
		name   string
		header string
		at     time.Time
		want   error // nil: valid
	}{
		{name: "valid", header: "ts=" + ts + ";h1=" + good, at: now},
		{name: "h1 first", header: "h1=" + good + ";ts=" + ts, at: now},
		{name: "second h1 matches", header: "ts=" + ts + ";h1=" + other + ";h1=" + good, at: now},
		{name: "unknown key ignored", header: "ts=" + ts + ";h1=" + good + ";h2=RANDOM_HASH", at: now},
		{name: "spaces", header: " ts = " + ts + " ; h1 = " + good + " ", at: now},
		{name: "bad h1 ignored", header: "ts=" + ts + ";h1=zz;h1=" + good, at: now},
		{name: "5 s old", header: "ts=" + ts + ";h1=" + good, at: now.Add(5 * time.Second)},
		{name: "5 s ahead", header: "ts=" + ts + ";h1=" + good, at: now.Add(-5 * time.Second)},
		{name: "6 s old", header: "ts=" + ts + ";h1=" + good, at: now.Add(6 * time.Second), want: verify.ErrTooOld},
		{name: "6 s ahead", header: "ts=" + ts + ";h1=" + good, at: now.Add(-6 * time.Second), want: verify.ErrTooNew},
		{name: "empty", at: now, want: verify.ErrNoSignature},
		{name: "no ts", header: "h1=" + good, at: now, want: verify.ErrMalformed},
		{name: "ts twice", header: "ts=" + ts + ";ts=" + ts + ";h1=" + good, at: now, want: verify.ErrMalformed},
		{name: "ts not a number", header: "ts=abc;h1=" + good, at: now, want: verify.ErrMalformed},
		{name: "ts in milliseconds overflows", header: "ts=99999999999999999999;h1=" + good, at: now, want: verify.ErrMalformed},
		{name: "no h1", header: "ts=" + ts, at: now, want: verify.ErrMalformed},
		{name: "only h2", header: "ts=" + ts + ";h2=" + good, at: now, want: verify.ErrMalformed},
		{name: "comma separated", header: "ts=" + ts + ",h1=" + good, at: now, want: verify.ErrMalformed},
		{name: "pair without =", header: "ts=" + ts + ";h1", at: now, want: verify.ErrMalformed},
		{name: "trailing semicolon", header: "ts=" + ts + ";h1=" + good + ";", at: now, want: verify.ErrMalformed},
		{name: "nine h1", header: "ts=" + ts + strings.Repeat(";h1="+other, 8) + ";h1=" + good, at: now, want: verify.ErrMalformed},
		{name: "other secret", header: "ts=" + ts + ";h1=" + other, at: now, want: verify.ErrMismatch},
		{name: "other ts", header: "ts=" + strconv.FormatInt(now.Unix()+1, 10) + ";h1=" + good, at: now, want: verify.ErrMismatch},
	}
	v := mustVerifier(t, "paddle", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: http.Header{"Paddle-Signature": {tt.header}}, Body: []byte(body)}
			_, err := v.Verify(r, tt.at)
			if !wantErr(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), "Paddle-Signature") {
				t.Errorf("Verify(%s) = %v; want the header named", tt.name, err)
			}
		})
	}
}

// TestPaddleSign reproduces the signature of the Node SDK test behind the
// vector paddle-node-valid-at-5s.
func TestPaddleSign(t *testing.T) {
	r := &verify.Request{Body: []byte(`{"data": ["1", "2"]}`)}
	if err := verify.Sign("paddle", r, Options{Secrets: []string{"VALID_SECRET"}}, time.Unix(1698796800, 0)); err != nil {
		t.Fatal(err)
	}
	const want = "ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9"
	if got := r.Header.Get("Paddle-Signature"); got != want {
		t.Errorf("Sign(paddle) = %q; want %q", got, want)
	}
}
