package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// stripeV1 computes a v1 signature independently of the package.
func stripeV1(secret, t, body string) string {
	return hex.EncodeToString(hmacOf(sha256.New, secret, t+"."+body))
}

// TestStripeHeader covers the parsing of Stripe-Signature: lenient where
// stripe-go is, strict where a header is ambiguous.
func TestStripeHeader(t *testing.T) {
	const secret, body = "whsec_test_secret", `{"id":"evt_1"}`
	ts := strconv.FormatInt(now.Unix(), 10)
	good := stripeV1(secret, ts, body)
	other := stripeV1("another", ts, body)
	sig := oneHeader("Stripe-Signature")
	tests := []headerCase{
		{name: "v1 only", header: sig("t=" + ts + ",v1=" + good)},
		{name: "v0 ignored", header: sig("t=" + ts + ",v1=" + good + ",v0=" + other)},
		{name: "v1 before t", header: sig("v1=" + good + ",t=" + ts)},
		{name: "unknown pair ignored", header: sig("t=" + ts + ",v1=" + good + ",v9=x,foo=bar")},
		{name: "spaces around pairs", header: sig(" t=" + ts + ", v1=" + good + " ")},
		{name: "second v1 matches", header: sig("t=" + ts + ",v1=" + other + ",v1=" + good)},
		{name: "upper-case hex", header: sig("t=" + ts + ",v1=" + strings.ToUpper(good))},
		{name: "bad hex v1 ignored", header: sig("t=" + ts + ",v1=zz,v1=" + good[:10] + ",v1=" + good)},
		{name: "eight v1", header: sig("t=" + ts + strings.Repeat(",v1="+other, 7) + ",v1=" + good)},
		{name: "empty", header: sig(""), want: verify.ErrNoSignature},
		{name: "only v0", header: sig("t=" + ts + ",v0=" + good), want: verify.ErrMalformed},
		{name: "no t", header: sig("v1=" + good), want: verify.ErrMalformed},
		{name: "t twice", header: sig("t=" + ts + ",t=" + ts + ",v1=" + good), want: verify.ErrMalformed},
		{name: "t not a number", header: sig("t=abc,v1=" + good), want: verify.ErrMalformed},
		{name: "t negative", header: sig("t=-" + ts + ",v1=" + good), want: verify.ErrMalformed},
		{name: "t with sign", header: sig("t=+" + ts + ",v1=" + good), want: verify.ErrMalformed},
		{name: "t fractional", header: sig("t=" + ts + ".0,v1=" + good), want: verify.ErrMalformed},
		{name: "t overflows", header: sig("t=99999999999999999999,v1=" + good), want: verify.ErrMalformed},
		{name: "t empty", header: sig("t=,v1=" + good), want: verify.ErrMalformed},
		{name: "pair without =", header: sig("t=" + ts + ",v1"), want: verify.ErrMalformed},
		{name: "pair with two =", header: sig("t=" + ts + ",v1=" + good + "="), want: verify.ErrMalformed},
		{name: "empty pair", header: sig("t=" + ts + ",,v1=" + good), want: verify.ErrMalformed},
		{name: "trailing comma", header: sig("t=" + ts + ",v1=" + good + ","), want: verify.ErrMalformed},
		{name: "no valid v1", header: sig("t=" + ts + ",v1=abcd"), want: verify.ErrMalformed},
		{name: "nine v1", header: sig("t=" + ts + strings.Repeat(",v1="+other, 8) + ",v1=" + good), want: verify.ErrMalformed},
		{name: "garbage", header: sig("hello"), want: verify.ErrMalformed},
		{name: "other secret", header: sig("t=" + ts + ",v1=" + other), want: verify.ErrMismatch},
		{name: "other t", header: sig("t=" + strconv.FormatInt(now.Unix()-1, 10) + ",v1=" + good), want: verify.ErrMismatch},
		{name: "leading zero t", header: sig("t=0" + ts + ",v1=" + good), want: verify.ErrMismatch},
	}
	v := mustVerifier(t, "stripe", Options{Secrets: []string{secret}})
	runHeaderCases(t, v, body, tests, namesHeader("Stripe-Signature"))
}

// TestStripeSign checks Sign against the published header format.
func TestStripeSign(t *testing.T) {
	const secret, body = "whsec_test_secret", "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}"
	// From the vector stripe-whsec-used-verbatim.
	checkSign(t, "stripe", &verify.Request{Body: []byte(body)}, Options{Secrets: []string{secret}}, now, http.Header{
		"Stripe-Signature": {"t=1700000000,v1=4f1cd7feda9826e746b7d482c4badebb657398df1099e1046364f6196a230150"},
	})
}
