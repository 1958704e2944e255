package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	natsce "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

// TestBinaryRoutingStaleEnvelopes runs the built binary on its embedded
// NATS with routes, ordering.stale forward and a cloudevents envelope, and
// reads the stream back: a matching route's copy is there before the
// event, a non-matching one adds nothing, a drop forwards nothing and is
// answered 202 (its retry 200), a stale event arrives on the stale subject
// with its headers, the cloudevents message reads back with the
// CloudEvents SDK, and the json envelope holds the body byte for byte.
func TestBinaryRoutingStaleEnvelopes(t *testing.T) {
	bin := mustBinary(t)
	cfg := gatewayConfig(t, testkit.EmbeddedNATS, `providers:
  - name: shop
    type: stripe
    secrets: [whsec_shop]
    ordering: {key: data.object.id, version: created, stale: forward}
  - name: billing
    type: stripe
    secrets: [whsec_billing]
    envelope: cloudevents
  - name: ledger
    type: stripe
    secrets: [whsec_ledger]
    envelope: json
routes:
  - name: big
    providers: [shop]
    when: 'type == "invoice.paid" && body.data.object.amount_paid > 100000'
    subject: "webhooks.priority.{provider}.{type}"
    headers: {Hookgate-Priority: high}
  - name: no-pings
    when: 'type == "ping"'
    action: drop`)
	g := startBinary(t, bin, cfg)
	post := func(provider, secret, id, typ string, created, amount int) int {
		body := fmt.Sprintf(`{"id":%q,"type":%q,"created":%d,"data":{"object":{"id":"in_1","amount_paid":%d}}}`, id, typ, created, amount)
		code, _ := testkit.Do(t, testkit.SignedRequest(t, "stripe", secret, "http://"+g.addr+"/webhooks/"+provider, body))
		return code
	}
	for _, c := range []struct {
		provider, secret, id, typ string
		created, amount           int
		want                      int
	}{
		{provider: "shop", secret: "whsec_shop", id: "evt_big", typ: "invoice.paid", created: 20, amount: 250000, want: 202},
		{provider: "shop", secret: "whsec_shop", id: "evt_small", typ: "invoice.paid", created: 30, amount: 5, want: 202},
		{provider: "shop", secret: "whsec_shop", id: "evt_ping", typ: "ping", created: 40, want: 202},
		{provider: "shop", secret: "whsec_shop", id: "evt_ping", typ: "ping", created: 40, want: 200},
		{provider: "shop", secret: "whsec_shop", id: "evt_old", typ: "invoice.updated", created: 10, want: 200}, // stale
		{provider: "billing", secret: "whsec_billing", id: "evt_ce", typ: "invoice.paid", created: 50, amount: 1, want: 202},
		{provider: "ledger", secret: "whsec_ledger", id: "evt_json", typ: "invoice.paid", created: 60, amount: 2, want: 202},
	} {
		if code := post(c.provider, c.secret, c.id, c.typ, c.created, c.amount); code != c.want {
			t.Fatalf("%s %s: %d; want %d\n%s", c.provider, c.id, code, c.want, g.logs)
		}
	}
	st := g.stream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	want := []struct {
		id, subject string
		headers     map[string]string
	}{
		{id: "shop@big:evt_big", subject: "webhooks.priority.shop.invoice.paid", headers: map[string]string{"Hookgate-Route": "big", "Hookgate-Priority": "high"}},
		{id: "shop:evt_big", subject: "webhooks.shop.invoice.paid", headers: map[string]string{"Hookgate-Route": ""}},
		{id: "shop:evt_small", subject: "webhooks.shop.invoice.paid"},
		{id: "shop:evt_old", subject: "webhooks.stale.shop.invoice.updated", headers: map[string]string{"Hookgate-Stale": "true", "Hookgate-Current-Version": "40"}},
		{id: "billing:evt_ce", subject: "webhooks.billing.invoice.paid", headers: map[string]string{"ce-specversion": "1.0", "ce-id": "evt_ce", "ce-source": "hookgate/billing", "ce-type": "invoice.paid"}},
		{id: "ledger:evt_json", subject: "webhooks.ledger.invoice.paid", headers: map[string]string{"Content-Type": "application/json"}},
	}
	var msgs []*jetstream.RawStreamMsg
	testkit.WaitFor(t, 10*time.Second, func() string { return fmt.Sprintf("the stream holds %d messages; want %d", len(msgs), len(want)) }, func() bool {
		msgs = msgs[:0]
		for seq := uint64(1); ; seq++ {
			m, err := st.GetMsg(ctx, seq)
			if err != nil {
				break
			}
			msgs = append(msgs, m)
		}
		return len(msgs) >= len(want)
	})
	if len(msgs) != len(want) {
		t.Fatalf("the stream holds %d messages; want %d (the ping dropped, the stale retry not kept twice)", len(msgs), len(want))
	}
	for i, w := range want {
		got := msgs[i]
		if id := got.Header.Get(forward.HeaderMsgID); id != w.id || got.Subject != w.subject {
			t.Errorf("message %d: %s on %s; want %s on %s", i+1, id, got.Subject, w.id, w.subject)
		}
		for k, v := range w.headers {
			if got.Header.Get(k) != v {
				t.Errorf("message %d (%s): %s = %q; want %q", i+1, w.id, k, got.Header.Get(k), v)
			}
		}
	}
	// The cloudevents message, read back with the CloudEvents Go SDK.
	ce := msgs[4]
	ev, err := binding.ToEvent(ctx, natsce.NewMessage(&nats.Msg{Subject: ce.Subject, Header: ce.Header, Data: ce.Data}))
	if err != nil || ev.Validate() != nil || ev.ID() != "evt_ce" || ev.Source() != "hookgate/billing" || ev.Type() != "invoice.paid" {
		t.Errorf("the cloudevents message as the SDK reads it: %v, %v", ev, err)
	}
	// The json envelope: the provider's body, byte for byte, as data.
	var env struct {
		ID, Type, Provider string
		Data               json.RawMessage
	}
	body := `{"id":"evt_json","type":"invoice.paid","created":60,"data":{"object":{"id":"in_1","amount_paid":2}}}`
	if err := json.Unmarshal(msgs[5].Data, &env); err != nil || env.ID != "evt_json" || env.Provider != "ledger" || string(env.Data) != body {
		t.Errorf("the json envelope: %s (%v); want data to be the body %s", msgs[5].Data, err, body)
	}
}
