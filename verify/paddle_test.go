package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestPaddleHeader covers the parsing of Paddle-Signature: several h1
// (rotation), unknown keys and spaces as in Paddle's SDK tests; strict where
// the header is ambiguous.
func TestPaddleHeader(t *testing.T) {
	const secret, body = "VALID_SECRET", `{"data": ["1", "2"]}`
	ts := strconv.FormatInt(now.Unix(), 10)
	good := hex.EncodeToString(hmacOf(sha256.New, secret, ts+":"+body))
	other := hex.EncodeToString(hmacOf(sha256.New, "OTHER_SECRET", ts+":"+body))
	sig := oneHeader("Paddle-Signature")
	tests := []headerCase{
		{name: "valid", header: sig("ts=" + ts + ";h1=" + good)},
		{name: "h1 first", header: sig("h1=" + good + ";ts=" + ts)},
		{name: "second h1 matches", header: sig("ts=" + ts + ";h1=" + other + ";h1=" + good)},
		{name: "unknown key ignored", header: sig("ts=" + ts + ";h1=" + good + ";h2=RANDOM_HASH")},
		{name: "spaces", header: sig(" ts = " + ts + " ; h1 = " + good + " ")},
		{name: "bad h1 ignored", header: sig("ts=" + ts + ";h1=zz;h1=" + good)},
		{name: "5 s old", header: sig("ts=" + ts + ";h1=" + good), at: now.Add(5 * time.Second)},
		{name: "5 s ahead", header: sig("ts=" + ts + ";h1=" + good), at: now.Add(-5 * time.Second)},
		{name: "6 s old", header: sig("ts=" + ts + ";h1=" + good), at: now.Add(6 * time.Second), want: verify.ErrTooOld},
		{name: "6 s ahead", header: sig("ts=" + ts + ";h1=" + good), at: now.Add(-6 * time.Second), want: verify.ErrTooNew},
		{name: "empty", header: sig(""), want: verify.ErrNoSignature},
		{name: "no ts", header: sig("h1=" + good), want: verify.ErrMalformed},
		{name: "ts twice", header: sig("ts=" + ts + ";ts=" + ts + ";h1=" + good), want: verify.ErrMalformed},
		{name: "ts not a number", header: sig("ts=abc;h1=" + good), want: verify.ErrMalformed},
		{name: "ts in milliseconds overflows", header: sig("ts=99999999999999999999;h1=" + good), want: verify.ErrMalformed},
		{name: "no h1", header: sig("ts=" + ts), want: verify.ErrMalformed},
		{name: "only h2", header: sig("ts=" + ts + ";h2=" + good), want: verify.ErrMalformed},
		{name: "comma separated", header: sig("ts=" + ts + ",h1=" + good), want: verify.ErrMalformed},
		{name: "pair without =", header: sig("ts=" + ts + ";h1"), want: verify.ErrMalformed},
		{name: "trailing semicolon", header: sig("ts=" + ts + ";h1=" + good + ";"), want: verify.ErrMalformed},
		{name: "nine h1", header: sig("ts=" + ts + strings.Repeat(";h1="+other, 8) + ";h1=" + good), want: verify.ErrMalformed},
		{name: "other secret", header: sig("ts=" + ts + ";h1=" + other), want: verify.ErrMismatch},
		{name: "other ts", header: sig("ts=" + strconv.FormatInt(now.Unix()+1, 10) + ";h1=" + good), want: verify.ErrMismatch},
	}
	v := mustVerifier(t, "paddle", Options{Secrets: []string{secret}})
	runHeaderCases(t, v, body, tests, namesHeader("Paddle-Signature"))
}

// TestPaddleSign reproduces the signature of the Node SDK test behind the
// vector paddle-node-valid-at-5s.
func TestPaddleSign(t *testing.T) {
	checkSign(t, "paddle", &verify.Request{Body: []byte(`{"data": ["1", "2"]}`)}, Options{Secrets: []string{"VALID_SECRET"}}, time.Unix(1698796800, 0), http.Header{
		"Paddle-Signature": {"ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9"},
	})
}
