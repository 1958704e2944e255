package verify_test

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// A Stripe delivery as received: the header and body are from the vector
// stripe-whsec-used-verbatim. In a handler, Header is r.Header and Body the
// bytes read from r.Body.
func ExampleNew() {
	v, err := verify.New("stripe", verify.Options{
		Secrets: []string{"whsec_new_secret", "whsec_test_secret"}, // rotating: new first
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := &verify.Request{
		Method: "POST",
		Header: http.Header{"Stripe-Signature": {"t=1700000000,v1=4f1cd7feda9826e746b7d482c4badebb657398df1099e1046364f6196a230150"}},
		Body:   []byte("{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}"),
	}

	res, err := v.Verify(r, time.Unix(1700000001, 0))
	fmt.Println("secret", res.SecretIndex, err)

	_, err = v.Verify(r, time.Unix(1700000000+301, 0)) // a replay after the window
	fmt.Println(errors.Is(err, verify.ErrTooOld), err)

	r.Body = []byte(`{"id": "evt_forged"}`)
	_, err = v.Verify(r, time.Unix(1700000001, 0))
	fmt.Println(errors.Is(err, verify.ErrMismatch))
	// Output:
	// secret 1 <nil>
	// true header Stripe-Signature: t=1700000000 is 5m1s old, tolerance 5m0s: verify: timestamp too old
	// true
}

// Sign produces the headers a provider would send, for tests and for
// `hookgate send`.
func ExampleSign() {
	r := &verify.Request{Method: "POST", Body: []byte(`{"id":"evt_1","type":"ping"}`)}
	o := verify.Options{Secrets: []string{"whsec_test_secret"}}
	if err := verify.Sign("stripe", r, o, time.Unix(1700000000, 0)); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Header.Get("Stripe-Signature"))
	// Output:
	// t=1700000000,v1=74a11abdd08483d064a2a1571e7881b084c522f9f3ccd0b800ec8c74aba47fc2
}
