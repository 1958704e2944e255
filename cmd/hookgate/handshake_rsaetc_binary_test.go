package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/verify"
)

// TestBinaryBraintreeHandshake runs the built binary with a braintree
// provider: the GET destination check that Braintree sends when a webhook
// is created is answered with the SDKs' exact answer (braintree_python's
// test_verify_returns_a_correct_challenge_response), and a signed
// notification is then accepted and reaches the stream typed by the kind
// its signed XML holds.
func TestBinaryBraintreeHandshake(t *testing.T) {
	bin := mustBinary(t)
	const secret = "integration_public_key:integration_private_key"
	cfg := gatewayConfig(t, testkit.EmbeddedNATS, `providers:
  - name: bt
    type: braintree
    secrets: ["`+secret+`"]`)
	g := startBinary(t, bin, cfg)
	url := "http://" + g.addr + "/webhooks/bt"

	code, body := testkit.Do(t, rsaetcRequest(t, "GET", url+"?bt_challenge=20f9f8ed05f77439fe955c977e4c8a53", nil))
	if code != 200 || body != "integration_public_key|d9b899556c966b3f06945ec21311865d35df3ce4" {
		t.Fatalf("challenge: %d %q\n%s", code, body, g.logs)
	}
	if code, _ := testkit.Do(t, rsaetcRequest(t, "GET", url+"?bt_challenge=not-hex", nil)); code != 401 && code != 400 {
		t.Errorf("a malformed challenge: %d; want it refused", code)
	}

	r := &verify.Request{Method: "POST", URL: url, Body: []byte(`<notification><timestamp type="datetime">2023-11-14T22:13:20Z</timestamp>` +
		`<kind>subscription_went_past_due</kind><subject><subscription><id>my_id</id></subscription></subject></notification>`)}
	if err := verify.Sign("braintree", r, verify.Options{Secrets: []string{secret}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	post := func() int {
		req := rsaetcRequest(t, "POST", url, r.Body)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		code, _ := testkit.Do(t, req)
		return code
	}
	if code := post(); code != 202 {
		t.Fatalf("notification: %d; want 202\n%s", code, g.logs)
	}
	if code := post(); code != 200 {
		t.Errorf("the same notification again: %d; want 200 (a duplicate)", code)
	}

	st := g.stream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var msg *jetstream.RawStreamMsg
	testkit.WaitFor(t, 10*time.Second, testkit.Says("the notification on the stream"), func() bool {
		var err error
		msg, err = st.GetMsg(ctx, 1)
		return err == nil
	})
	if got := msg.Header.Get(forward.HeaderEventType); got != "subscription_went_past_due" || msg.Subject != "webhooks.bt.subscription_went_past_due" {
		t.Errorf("message: type %q on %s; want subscription_went_past_due on webhooks.bt.subscription_went_past_due", got, msg.Subject)
	}
	if !bytes.Equal(msg.Data, r.Body) {
		t.Errorf("message body = %q; want the form body as posted", msg.Data)
	}
	if _, err := st.GetMsg(ctx, 2); err == nil {
		t.Errorf("a second message on the stream: the challenge or the duplicate was recorded")
	}
}

func rsaetcRequest(tb testing.TB, method, url string, body []byte) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(fmt.Errorf("%s %s: %w", method, url, err))
	}
	return req
}
