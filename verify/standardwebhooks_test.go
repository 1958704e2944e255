package verify_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestStandardWebhooksHeaders covers the headers of the standard-webhooks
// and svix presets, around the official Standard Webhooks vector (spec and
// libraries/go/webhook_test.go): secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw.
func TestStandardWebhooksHeaders(t *testing.T) {
	const (
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = "1614265330"
		body   = `{"test": 2432232314}`
		good   = "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
		other  = "Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	)
	clock := time.Unix(1614265330, 0)
	wh := func(id, ts, sig string) http.Header {
		return http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}
	}
	svix := func(id, ts, sig string) http.Header {
		return http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig}}
	}
	both := func(a, b http.Header) http.Header {
		for k, v := range b {
			a[k] = v
		}
		return a
	}
	tests := []struct {
		name    string
		preset  string
		secrets []string
		header  http.Header
		want    error // nil: valid
	}{
		{name: "webhook headers", preset: "standard-webhooks", header: wh(id, ts, "v1,"+good)},
		{name: "svix headers", preset: "standard-webhooks", header: svix(id, ts, "v1,"+good)},
		{name: "svix preset, svix headers", preset: "svix", header: svix(id, ts, "v1,"+good)},
		{name: "svix preset, webhook headers", preset: "svix", header: wh(id, ts, "v1,"+good)},
		{name: "webhook family preferred", preset: "standard-webhooks", header: both(wh(id, ts, "v1,"+good), svix(id, ts, "v1,"+other))},
		{name: "svix family preferred", preset: "svix", header: both(wh(id, ts, "v1,"+good), svix(id, ts, "v1,"+other)), want: verify.ErrMismatch},
		{name: "families not mixed", preset: "standard-webhooks", header: both(http.Header{"Webhook-Signature": {"v1," + good}}, svix(id, ts, "v1,"+good)), want: verify.ErrNoSignature},
		{name: "secret without prefix", preset: "standard-webhooks", secrets: []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, header: wh(id, ts, "v1,"+good)},
		{name: "rotation", preset: "standard-webhooks", secrets: []string{"whsec_" + strings.Repeat("A", 32), secret}, header: wh(id, ts, "v1,"+good)},
		{name: "v1a entry ignored", preset: "standard-webhooks", header: wh(id, ts, "v1a,"+other+" v1,"+good)},
		{name: "second v1 matches", preset: "standard-webhooks", header: wh(id, ts, "v1,"+other+" v1,"+good)},
		{name: "extra spaces", preset: "standard-webhooks", header: wh(id, ts, "  v2,"+good+"   v1,"+good+" ")},
		{name: "unpadded signature", preset: "standard-webhooks", header: wh(id, ts, "v1,"+strings.TrimRight(good, "="))},
		{name: "bad base64 entry ignored", preset: "standard-webhooks", header: wh(id, ts, "v1,!!!! v1,"+good)},
		{name: "entry without comma ignored", preset: "standard-webhooks", header: wh(id, ts, "v1 v1,"+good)},
		{name: "no signature", preset: "standard-webhooks", header: http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}}, want: verify.ErrNoSignature},
		{name: "no id", preset: "standard-webhooks", header: wh("", ts, "v1,"+good), want: verify.ErrNoSignature},
		{name: "no timestamp", preset: "standard-webhooks", header: wh(id, "", "v1,"+good), want: verify.ErrNoSignature},
		{name: "fractional timestamp", preset: "standard-webhooks", header: wh(id, ts+".0", "v1,"+good), want: verify.ErrMalformed},
		{name: "timestamp not a number", preset: "standard-webhooks", header: wh(id, "yesterday", "v1,"+good), want: verify.ErrMalformed},
		{name: "negative timestamp", preset: "standard-webhooks", header: wh(id, "-"+ts, "v1,"+good), want: verify.ErrMalformed},
		{name: "only v1a", preset: "standard-webhooks", header: wh(id, ts, "v1a,"+good), want: verify.ErrMalformed},
		{name: "no comma", preset: "standard-webhooks", header: wh(id, ts, good), want: verify.ErrMalformed},
		{name: "short signature", preset: "standard-webhooks", header: wh(id, ts, "v1,"+good[:20]), want: verify.ErrMalformed},
		{name: "nine signatures", preset: "standard-webhooks", header: wh(id, ts, strings.Repeat("v1,"+other+" ", 8)+"v1,"+good), want: verify.ErrMalformed},
		{name: "other signature", preset: "standard-webhooks", header: wh(id, ts, "v1,"+other), want: verify.ErrMismatch},
		{name: "other id", preset: "standard-webhooks", header: wh("msg_other", ts, "v1,"+good), want: verify.ErrMismatch},
		{name: "other timestamp", preset: "standard-webhooks", header: wh(id, "1614265331", "v1,"+good), want: verify.ErrMismatch},
		{name: "v2 with the right MAC", preset: "standard-webhooks", header: wh(id, ts, "v2,"+good+" v1,"+other), want: verify.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secrets := tt.secrets
			if secrets == nil {
				secrets = []string{secret}
			}
			v := mustVerifier(t, tt.preset, Options{Secrets: secrets})
			checkVerify(t, v, &verify.Request{Header: tt.header, Body: []byte(body)}, clock, tt.want)
		})
	}
}

// TestStandardWebhooksSign checks that Sign reproduces the official vector
// when given its message ID, and that each preset signs with its own header
// family.
func TestStandardWebhooksSign(t *testing.T) {
	tests := []struct {
		preset string
		names  [3]string
	}{
		{preset: "standard-webhooks", names: [3]string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"}},
		{preset: "svix", names: [3]string{"Svix-Id", "Svix-Timestamp", "Svix-Signature"}},
	}
	for _, tt := range tests {
		t.Run(tt.preset, func(t *testing.T) {
			r := &verify.Request{Header: http.Header{}, Body: []byte(`{"test": 2432232314}`)}
			r.Header.Set(tt.names[0], "msg_p5jXN8AQM9LWM0D4loKWxJek")
			o := Options{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}
			want := http.Header{
				tt.names[0]: {"msg_p5jXN8AQM9LWM0D4loKWxJek"},
				tt.names[1]: {"1614265330"},
				tt.names[2]: {"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
			}
			checkSign(t, tt.preset, r, o, time.Unix(1614265330, 0), want)
			if len(r.Header) != len(want) {
				t.Errorf("Sign(%s) = %v; want only %v", tt.preset, r.Header, want)
			}

			// Without an ID, Sign makes a fresh one per request.
			a, b := &verify.Request{}, &verify.Request{}
			for _, r := range []*verify.Request{a, b} {
				if err := verify.Sign(tt.preset, r, o, now); err != nil {
					t.Fatal(err)
				}
			}
			if ida, idb := a.Header.Get(tt.names[0]), b.Header.Get(tt.names[0]); ida == "" || ida == idb {
				t.Errorf("Sign(%s) = IDs %q and %q; want two different IDs", tt.preset, ida, idb)
			}
		})
	}
}

// TestStandardWebhooksSignedID checks that the Standard Webhooks presets
// report the message ID the verified signature covers as Result.ID, from
// whichever header family carried it, as the Svix libraries take svix-id
// or webhook-id; an unsigned ID header of the other family is ignored. The
// requests are the official vectors (v1: libraries/go/webhook_test.go; v1a:
// PR #253) sent under either family's names.
func TestStandardWebhooksSignedID(t *testing.T) {
	const (
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = "1614265330"
		body   = `{"test": 2432232314}`
		v1     = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	)
	v1a := "v1a," + v1aSig
	family := func(prefix, sig string) http.Header {
		return http.Header{prefix + "-Id": {id}, prefix + "-Timestamp": {ts}, prefix + "-Signature": {sig}}
	}
	plus := func(h http.Header, k, v string) http.Header {
		h.Set(k, v)
		return h
	}
	tests := []struct {
		name, preset, secret string
		header               http.Header
	}{
		{name: "webhook-* names", preset: "standard-webhooks", secret: secret, header: family("Webhook", v1)},
		{name: "svix-* names", preset: "standard-webhooks", secret: secret, header: family("Svix", v1)},
		{name: "svix preset, svix-* names", preset: "svix", secret: secret, header: family("Svix", v1)},
		{name: "svix preset, webhook-* names", preset: "svix", secret: secret, header: family("Webhook", v1)},
		{name: "svix-* signed, unsigned webhook-id", preset: "standard-webhooks", secret: secret, header: plus(family("Svix", v1), "Webhook-Id", "msg_unsigned")},
		{name: "webhook-* signed, unsigned svix-id", preset: "svix", secret: secret, header: plus(family("Webhook", v1), "Svix-Id", "msg_unsigned")},
		{name: "v1a, svix-* names", preset: "standard-webhooks-v1a", secret: v1aPublic, header: family("Svix", v1a)},
		{name: "v1a, svix-* signed, unsigned webhook-id", preset: "standard-webhooks-v1a", secret: v1aPublic, header: plus(family("Svix", v1a), "Webhook-Id", "msg_unsigned")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, tt.preset, Options{Secrets: []string{tt.secret}})
			res, err := v.Verify(&verify.Request{Header: tt.header, Body: []byte(body)}, time.Unix(1614265330, 0))
			if err != nil || res.ID != id {
				t.Errorf("Verify(%s) = ID %q, %v; want %q", tt.name, res.ID, err, id)
			}
		})
	}
}
