package verify_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// The generic hmac-template scheme configured as Paddle Billing, which has
// its own preset: "ts=<unix>;h1=<hex>" over "{ts}:{body}". The request is
// the vector paddle-node-valid-at-5s (Paddle's Node SDK tests).
func ExampleNew_hmacTemplate() {
	v, err := verify.New("hmac-template", verify.Options{
		Secrets:   []string{"VALID_SECRET"},
		Header:    "Paddle-Signature",
		Format:    "kv;:ts,h1", // pairs split by ';', timestamp key ts, signatures h1
		Template:  "{timestamp}:{body}",
		Tolerance: 5 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := &verify.Request{
		Method: "POST",
		Header: http.Header{"Paddle-Signature": {"ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9"}},
		Body:   []byte(`{"data": ["1", "2"]}`),
	}
	_, err = v.Verify(r, time.Unix(1698796805, 0))
	fmt.Println(err)
	_, err = v.Verify(r, time.Unix(1698796806, 0))
	fmt.Println(err)
	// Output:
	// <nil>
	// header Paddle-Signature key ts: 1698796800 is 6s old, tolerance 5s: verify: timestamp too old
}
