package verify_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestPersonaHeader covers Persona-Signature, which holds a second
// "t=,v1=" set, space-separated, while a secret rotates.
func TestPersonaHeader(t *testing.T) {
	const secret, body = "wbhsec_1", `{"data":{"id":"evt_1"}}`
	ts := strconv.FormatInt(now.Unix(), 10)
	good := macHex(secret, ts+"."+body)
	other := macHex("wbhsec_0", ts+"."+body)
	old := strconv.FormatInt(now.Unix()-600, 10)
	sig := oneHeader("Persona-Signature")
	tests := []headerCase{
		{name: "one set", header: sig("t=" + ts + ",v1=" + good)},
		{name: "second set matches", header: sig("t=" + ts + ",v1=" + other + " t=" + ts + ",v1=" + good)},
		{name: "first set matches", header: sig("t=" + ts + ",v1=" + good + " t=" + ts + ",v1=" + other)},
		{name: "comma and space", header: sig("t=" + ts + ", v1=" + good)},
		{name: "unknown pair ignored", header: sig("t=" + ts + ",v0=abc,v1=" + good)},
		{name: "bad hex ignored", header: sig("t=" + ts + ",v1=zz,v1=" + good)},
		{name: "old set of the right secret", header: sig("t=" + old + ",v1=" + macHex(secret, old+"."+body)), want: verify.ErrTooOld},
		{name: "empty", header: sig(""), want: verify.ErrNoSignature},
		{name: "v1 before t", header: sig("v1=" + good + ",t=" + ts), want: verify.ErrMalformed},
		{name: "no t", header: sig("v1=" + good), want: verify.ErrMalformed},
		{name: "t not a number", header: sig("t=now,v1=" + good), want: verify.ErrMalformed},
		{name: "pair without =", header: sig("t=" + ts + ",v1"), want: verify.ErrMalformed},
		{name: "no usable v1", header: sig("t=" + ts + ",v1=abcd"), want: verify.ErrMalformed},
		{name: "five sets", header: sig(strings.Repeat("t="+ts+",v1="+other+" ", 4) + "t=" + ts + ",v1=" + good), want: verify.ErrMalformed},
		{name: "other secret only", header: sig("t=" + ts + ",v1=" + other), want: verify.ErrMismatch},
		{name: "set's t is signed", header: sig("t=" + old + ",v1=" + good), want: verify.ErrMismatch},
	}
	v := mustVerifier(t, "persona", Options{Secrets: []string{secret}})
	runHeaderCases(t, v, body, tests)
}

// TestRecurlyHeader covers recurly-signature: a millisecond timestamp, then
// one signature per active secret.
func TestRecurlyHeader(t *testing.T) {
	const secret, body = "recurly new", `{"id":"n1"}`
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	good := macHex(secret, ms+"."+body)
	other := macHex("recurly old", ms+"."+body)
	sig := oneHeader("Recurly-Signature")
	tests := []headerCase{
		{name: "one signature", header: sig(ms + "," + good)},
		{name: "second signature", header: sig(ms + "," + other + "," + good)},
		{name: "spaces", header: sig(ms + ", " + other + ", " + good)},
		{name: "bad signature ignored", header: sig(ms + ",zz," + good)},
		{name: "empty", header: sig(""), want: verify.ErrNoSignature},
		{name: "no signature", header: sig(ms), want: verify.ErrMalformed},
		{name: "timestamp not a number", header: sig("x," + good), want: verify.ErrMalformed},
		{name: "signature first", header: sig(good + "," + ms), want: verify.ErrMalformed},
		{name: "nine signatures", header: sig(ms + strings.Repeat(","+other, 9)), want: verify.ErrMalformed},
		{name: "other secret", header: sig(ms + "," + other), want: verify.ErrMismatch},
		{name: "seconds", header: sig(strconv.FormatInt(now.Unix(), 10) + "," + macHex(secret, strconv.FormatInt(now.Unix(), 10)+"."+body)), want: verify.ErrTooOld},
	}
	v := mustVerifier(t, "recurly", Options{Secrets: []string{secret}})
	runHeaderCases(t, v, body, tests)
}
