package verify_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestMercadoPagoBodyDataID: Mercado Pago signs the URL's data.id, not the
// body, and the URL is not forwarded. The verifier never read the body, so
// a captured X-Signature and X-Request-Id with ?data.id=123 carried any
// body, such as {"id":999,"action":"payment.refunded","data":{"id":"777"}},
// for ever, as a new event each time. The body's data.id, where it has
// one, must now be the signed one.
func TestMercadoPagoBodyDataID(t *testing.T) {
	o := verify.Options{Secrets: []string{"mp-secret"}}
	v := mustVerifier(t, "mercadopago", o)
	signed := func(url string) *verify.Request {
		r := &verify.Request{Method: "POST", URL: url, Header: http.Header{"X-Request-Id": {"req-1"}}}
		if err := verify.Sign("mercadopago", r, o, now); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := signed("https://gw.example/webhooks/mp?data.id=123&type=payment")
	later := now.Add(30 * 24 * time.Hour) // ts has no window
	for _, tt := range []struct {
		body string
		want error
	}{
		{`{"id":111,"action":"payment.created","data":{"id":"123"}}`, nil},
		{`{"id":111,"data":{"id":123}}`, nil}, // a number
		// The rest of the body is not signed: another notification
		// about the same resource still verifies.
		{`{"id":999,"action":"payment.refunded","data":{"id":"123"}}`, nil},
		{`{"id":999,"action":"payment.refunded","data":{"id":"777"}}`, verify.ErrMismatch},
		{`{"id":999,"data":{"id":"1234"}}`, verify.ErrMismatch},
		{`{"id":999,"data":{"id":null}}`, verify.ErrMismatch},
		// A notification whose data has no id, as a merchant order's or a
		// card update's, is not bound (they would be refused otherwise).
		{`{"id":999,"data":{}}`, nil},
		{`{"id":999}`, nil},
		{`{"action":"update","data":{"currency_id":"","marketplace":"NONE","status":"closed"},"id":"123","type":"topic_merchant_order_wh"}`, nil},
		{``, verify.ErrMalformed},
		{`null`, verify.ErrMalformed},
		{`id=999&data.id=123`, verify.ErrMalformed},
		{`{"data":{"id":"123"},"data":{"id":"777"}}`, verify.ErrMalformed},
		{`{"data":{"id":"123","id":"777"}}`, verify.ErrMalformed},
		{`{"data":{"id":{"x":"123"}}}`, verify.ErrMalformed},
		{`{"data":"123"}`, verify.ErrMalformed},
	} {
		r.Body = []byte(tt.body)
		if _, err := v.Verify(r, later); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("body %s under the signature of data.id=123: %v; want %v", tt.body, err, tt.want)
		}
	}

	// Alphanumeric IDs are signed lowered and may come in upper case,
	// in the URL or the body.
	for _, url := range []string{"https://gw.example/mp?data.id=ord01abc", "https://gw.example/mp?data.id=ORD01ABC"} {
		r := signed(url)
		for _, body := range []string{`{"data":{"id":"ORD01ABC"}}`, `{"data":{"id":"ord01abc"}}`} {
			r.Body = []byte(body)
			if _, err := v.Verify(r, now); err != nil {
				t.Errorf("%s, body %s: %v; want it verified", url, body, err)
			}
		}
	}

	// Without data.id in the URL the signature binds no resource, and the
	// body is taken as sent.
	r = signed("https://gw.example/mp")
	r.Body = []byte(`{"data":{"id":"777"}}`)
	if _, err := v.Verify(r, now); err != nil {
		t.Errorf("no data.id in the URL: %v; want it verified", err)
	}
}
