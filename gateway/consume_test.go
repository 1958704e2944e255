package gateway

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/consume"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

// TestConsumeAsUser: a service logged in as one of nats.users reads the
// gateway's events with package consume and its defaults (no stream to
// create: the gateway made the dead-letter stream), and the event its
// handler gives up on lands in the dead-letter stream, which the user may
// read back.
func TestConsumeAsUser(t *testing.T) {
	if consume.DeadLetterStream != forward.DeadLetterStream || consume.DeadLetterSubjects != forward.DeadLetterSubjects {
		t.Fatalf("consume's dead-letter stream %s on %s; the gateway creates %s on %s",
			consume.DeadLetterStream, consume.DeadLetterSubjects, forward.DeadLetterStream, forward.DeadLetterSubjects)
	}
	s, _ := lockedServer(t)
	now := time.Now()
	for _, id := range []string{"evt_ok", "evt_bad"} {
		if got := postTo(t, s, stripeRequest(t, stripeBody(id, "invoice.paid", "in_"+id, 1), "whsec_a", now)); got != 202 {
			t.Fatalf("POST %s = %d; want 202", id, got)
		}
	}
	nc, _ := connectAs(t, s, "billing", "billing-pw")
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var (
		mu      sync.Mutex
		handled []string
	)
	sub, err := consume.Subscribe(ctx, js, consume.Options{Durable: "billing", Backoff: []time.Duration{10 * time.Millisecond}},
		func(_ context.Context, ev *consume.Event) error {
			mu.Lock()
			handled = append(handled, ev.ID)
			mu.Unlock()
			if ev.ID == "evt_bad" {
				return consume.Permanent(errors.New("no such customer"))
			}
			return nil
		})
	if err != nil {
		t.Fatalf("Subscribe as a nats.users user: %v", err)
	}
	defer sub.Stop(ctx)
	dead, err := js.Stream(ctx, forward.DeadLetterStream)
	if err != nil {
		t.Fatalf("the user reads the dead-letter stream: %v", err)
	}
	testkit.WaitFor(t, 20*time.Second, testkit.Says("a dead letter for evt_bad"), func() bool {
		info, err := dead.Info(ctx)
		return err == nil && info.State.Msgs == 1
	})
	m, err := dead.GetLastMsgForSubject(ctx, forward.DeadLetterSubjects)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Hookgate-Event-Id") != "evt_bad" || m.Header.Get(consume.HeaderDeadReason) != consume.ReasonPermanent {
		t.Errorf("dead letter: event %q, reason %q; want evt_bad, %s", m.Header.Get("Hookgate-Event-Id"), m.Header.Get(consume.HeaderDeadReason), consume.ReasonPermanent)
	}
	// audit reads webhooks.shop.invoice.> alone: dead letters, which hold
	// events of every subject, are not its to read or write.
	anc, errs := connectAs(t, s, "audit", "audit-pw")
	if err := anc.Publish("hookgate.dead.audit", []byte("forged")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Errorf("audit's dead letter: %v; want a permissions violation", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("audit's dead letter: no permissions violation")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != 2 {
		t.Errorf("handled %v; want evt_ok and evt_bad once each", handled)
	}
}
