package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"hookgate/verify"
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
	tests := []struct {
		name   string
		header string
		want   error // nil: valid
	}{
		{"v1 only", "t=" + ts + ",v1=" + good, nil},
		{"v0 ignored", "t=" + ts + ",v1=" + good + ",v0=" + other, nil},
		{"v1 before t", "v1=" + good + ",t=" + ts, nil},
		{"unknown pair ignored", "t=" + ts + ",v1=" + good + ",v9=x,foo=bar", nil},
		{"spaces around pairs", " t=" + ts + ", v1=" + good + " ", nil},
		{"second v1 matches", "t=" + ts + ",v1=" + other + ",v1=" + good, nil},
		{"upper-case hex", "t=" + ts + ",v1=" + strings.ToUpper(good), nil},
		{"bad hex v1 ignored", "t=" + ts + ",v1=zz,v1=" + good[:10] + ",v1=" + good, nil},
		{"eight v1", "t=" + ts + strings.Repeat(",v1="+other, 7) + ",v1=" + good, nil},
		{"empty", "", verify.ErrNoSignature},
		{"only v0", "t=" + ts + ",v0=" + good, verify.ErrMalformed},
		{"no t", "v1=" + good, verify.ErrMalformed},
		{"t twice", "t=" + ts + ",t=" + ts + ",v1=" + good, verify.ErrMalformed},
		{"t not a number", "t=abc,v1=" + good, verify.ErrMalformed},
		{"t negative", "t=-" + ts + ",v1=" + good, verify.ErrMalformed},
		{"t with sign", "t=+" + ts + ",v1=" + good, verify.ErrMalformed},
		{"t fractional", "t=" + ts + ".0,v1=" + good, verify.ErrMalformed},
		{"t overflows", "t=99999999999999999999,v1=" + good, verify.ErrMalformed},
		{"t empty", "t=,v1=" + good, verify.ErrMalformed},
		{"pair without =", "t=" + ts + ",v1", verify.ErrMalformed},
		{"pair with two =", "t=" + ts + ",v1=" + good + "=", verify.ErrMalformed},
		{"empty pair", "t=" + ts + ",,v1=" + good, verify.ErrMalformed},
		{"trailing comma", "t=" + ts + ",v1=" + good + ",", verify.ErrMalformed},
		{"no valid v1", "t=" + ts + ",v1=abcd", verify.ErrMalformed},
		{"nine v1", "t=" + ts + strings.Repeat(",v1="+other, 8) + ",v1=" + good, verify.ErrMalformed},
		{"garbage", "hello", verify.ErrMalformed},
		{"other secret", "t=" + ts + ",v1=" + other, verify.ErrMismatch},
		{"other t", "t=" + strconv.FormatInt(now.Unix()-1, 10) + ",v1=" + good, verify.ErrMismatch},
		{"leading zero t", "t=0" + ts + ",v1=" + good, verify.ErrMismatch},
	}
	v := mustVerifier(t, "stripe", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: http.Header{"Stripe-Signature": {tt.header}}, Body: []byte(body)}
			_, err := v.Verify(r, now)
			if !wantErr(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), "Stripe-Signature") {
				t.Errorf("Verify(%s) = %v; want the header named", tt.name, err)
			}
		})
	}
}

// TestStripeSign checks Sign against the published header format.
func TestStripeSign(t *testing.T) {
	const secret, body = "whsec_test_secret", "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}"
	r := &verify.Request{Body: []byte(body)}
	if err := verify.Sign("stripe", r, Options{Secrets: []string{secret}}, now); err != nil {
		t.Fatal(err)
	}
	// From the vector stripe-whsec-used-verbatim.
	const want = "t=1700000000,v1=4f1cd7feda9826e746b7d482c4badebb657398df1099e1046364f6196a230150"
	if got := r.Header.Get("Stripe-Signature"); got != want {
		t.Errorf("Sign(stripe) = %q; want %q", got, want)
	}
}
