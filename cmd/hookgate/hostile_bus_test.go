package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/internal/testkit"
)

// TestHostileForgedBusMessage: the built binary serves with nats.users.
// Someone holding a consumer's credentials, or none, tries to put a forged
// event on the bus: the embedded server refuses the connection without
// credentials and the consumer's publishes, and the stream ends up holding
// the one signed webhook that was sent, which `hookgate tail` reads with
// the credentials from the config.
func TestHostileForgedBusMessage(t *testing.T) {
	bin := mustBinary(t)
	natsPort := testkit.FreePort(t)
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	t.Setenv("HOOKGATE_TEST_CONSUMER_PASSWORD", "consumer-S3CRET")
	cfg := gatewayConfig(t, fmt.Sprintf(`nats:
  port: %d
  users:
    - user: consumer
      password: "${HOOKGATE_TEST_CONSUMER_PASSWORD}"`, natsPort), "providers:"+demoProvider)
	g := startBinary(t, bin, cfg)
	if strings.Contains(g.logs.String(), "consumer-S3CRET") {
		t.Errorf("the log shows the consumer's password:\n%s", g.logs)
	}

	// No credentials: refused at the door.
	if nc, err := nats.Connect(natsURL); err == nil {
		nc.Close()
		t.Fatal("a connection without credentials was accepted")
	} else if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("connect without credentials = %v; want %v", err, nats.ErrAuthorization)
	}

	// The consumer's credentials: connected, but every publish to the
	// stream's subjects is refused.
	violations := make(chan error, 8)
	nc, err := nats.Connect(natsURL, nats.UserInfo("consumer", "consumer-S3CRET"),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { violations <- err }))
	if err != nil {
		t.Fatalf("connect as the consumer: %v", err)
	}
	defer nc.Close()
	forged := &nats.Msg{Subject: "webhooks.demo.order.paid", Header: nats.Header{}, Data: []byte(`{"forged":true}`)}
	forged.Header.Set("Nats-Msg-Id", "demo:evt_forged")
	forged.Header.Set("Hookgate-Provider", "demo")
	forged.Header.Set("Hookgate-Event-Id", "evt_forged")
	if err := nc.PublishMsg(forged); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	if ack, err := js.PublishMsg(ctx, forged); err == nil {
		t.Errorf("a JetStream publish of a forged event was acknowledged: %+v", ack)
	}
	cancel()
	for range 2 {
		select {
		case err := <-violations:
			if !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(err.Error(), forged.Subject) {
				t.Fatalf("forged publish: %v; want a permissions violation on %s", err, forged.Subject)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a forged publish was not refused")
		}
	}

	// A signed webhook goes through.
	out, err := exec.Command(bin, "send", "-config", cfg, "-provider", "demo", "-gateway", "http://"+g.addr, "-id", "evt_signed", "-event-type", "order.paid").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "202 Accepted") {
		t.Fatalf("send: %v\n%s", err, out)
	}
	tctx, tcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer tcancel()
	out, err = exec.CommandContext(tctx, bin, "tail", "-config", cfg, "-stream", "WEBHOOKS", "-all", "-count", "1", "webhooks.>").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Hookgate-Event-Id: evt_signed") {
		t.Fatalf("tail as the config's consumer: %v\n%s", err, out)
	}

	// The stream holds the signed event and nothing forged.
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cons, err := js.CreateOrUpdateConsumer(ctx, "WEBHOOKS", jetstream.ConsumerConfig{Durable: "check", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.NumPending != 1 {
		t.Fatalf("the stream holds %d messages; want 1, the signed event", info.NumPending)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if id := m.Headers().Get("Hookgate-Event-Id"); id != "evt_signed" || strings.Contains(string(m.Data()), "forged") {
		t.Errorf("stream message: event %q, body %s; want evt_signed, not the forged body", id, m.Data())
	}
	if err := m.DoubleAck(ctx); err != nil {
		t.Errorf("ack as the consumer: %v", err)
	}
}
