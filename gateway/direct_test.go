package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/ordering"
)

// TestDirectCatchUp: an event that the gateway published to the stream but
// whose claim it never committed (killed between the stream's ack and the
// commit) is claimed when the gateway starts again: the provider's retry
// is a duplicate and an older version of its entity is stale.
func TestDirectCatchUp(t *testing.T) {
	ns := testkit.StartNATS(t)
	cfg := backendConfig(t, ns.URL(), "sqlite", "")
	s, err := Open(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	post := func(s *Server, id string, created int64) int {
		return postTo(t, s, stripeRequest(t, stripeBody(id, "order.paid", "ord_1", created), "whsec_a", now))
	}
	if code := post(s, "evt_1", 100); code != 202 {
		t.Fatalf("evt_1: %d; want 202", code)
	}
	// evt_2 as the gateway builds and publishes it, without its commit.
	p := s.table.Load().byName["shop"]
	v, kind, err := ordering.ParseVersion("200", p.ident.format)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := p.event(identity{ID: "evt_2", Type: "order.paid", Ordered: true, Entity: "ord_1", VersionRaw: "200", Version: v, Kind: kind},
		http.Header{"Content-Type": {"application/json"}}, []byte(stripeBody("evt_2", "order.paid", "ord_1", 200)), now)
	if err != nil {
		t.Fatal(err)
	}
	s = restartAfterLostCommit(t, s, cfg, ns.URL(), ev.Message)
	for _, c := range []struct {
		id      string
		created int64
		want    int
	}{
		{id: "evt_2", created: 200, want: 200}, // the retry: a duplicate
		{id: "evt_3", created: 150, want: 200}, // older than evt_2: stale
		{id: "evt_4", created: 300, want: 202},
	} {
		if code := post(s, c.id, c.created); code != c.want {
			t.Errorf("%s (created %d): %d; want %d", c.id, c.created, code, c.want)
		}
	}
	if n := testkit.SubjectCount(t, testkit.Stream(t, ns.URL(), forward.DefaultStreamName), "webhooks.>"); n != 3 {
		t.Errorf("stream holds %d events; want 3 (evt_1, evt_2 once, evt_4)", n)
	}
	if rows, _ := s.outbox.Load(); rows != 0 {
		t.Errorf("outbox holds %d rows; want 0 (published directly)", rows)
	}
}

// restartAfterLostCommit stops s, publishes m to the stream as the writer
// does before a commit, as if the gateway had been killed between the
// stream's ack and the commit, and starts a gateway again on cfg (closed
// when the test ends): the state a crash leaves.
func restartAfterLostCommit(tb testing.TB, s *Server, cfg *config.Config, natsURL string, m forward.Message) *Server {
	tb.Helper()
	s.Close(context.Background())
	nc, _ := testkit.JetStream(tb, natsURL, nats.ReconnectBufSize(-1), nats.SetCustomDialer(&forward.Dialer{}))
	pub, err := forward.NewJetStreamPublisher(nc, 5*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := pub.Publish(context.Background(), []forward.Message{m}, 1); err != nil {
		tb.Fatal(err)
	}
	s, err = Open(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// TestDirectFallbackWhileNATSDown: with NATS down the first event's publish
// fails and it goes to the outbox (counted in
// hookgate_outbox_fallback_messages_total), the next ones queue behind it
// there without a publish; once NATS is back the relay sends them, and the
// next event is published directly again.
func TestDirectFallbackWhileNATSDown(t *testing.T) {
	ns := testkit.StartNATS(t)
	s, err := Open(context.Background(), backendConfig(t, ns.URL(), "sqlite", ""), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	post := func(id string) int {
		return postTo(t, s, stripeRequest(t, stripeBody(id, "order.paid", "o_"+id, 1), "whsec_a", time.Now()))
	}
	const fallbacks = "hookgate_outbox_fallback_messages_total"
	ns.Stop()
	for _, id := range []string{"evt_1", "evt_2", "evt_3"} {
		if code := post(id); code != 202 {
			t.Fatalf("%s with NATS down: %d; want 202 (into the outbox)", id, code)
		}
	}
	if rows, _ := s.outbox.Load(); rows != 3 {
		t.Errorf("outbox holds %d rows with NATS down; want 3", rows)
	}
	if n := scrape(t, s)[fallbacks]; n != 1 {
		t.Errorf("%s = %v; want 1 (evt_1; the others queued behind it without a publish)", fallbacks, n)
	}
	ns.Start()
	st := testkit.Stream(t, ns.URL(), forward.DefaultStreamName)
	testkit.WaitFor(t, 20*time.Second, testkit.Says("the relay did not send the outbox after NATS came back"), func() bool {
		rows, _ := s.outbox.Load()
		return rows == 0 && testkit.SubjectCount(t, st, "webhooks.>") == 3
	})
	if code := post("evt_4"); code != 202 {
		t.Fatalf("evt_4 after NATS came back: %d; want 202", code)
	}
	if rows, _ := s.outbox.Load(); rows != 0 {
		t.Errorf("outbox holds %d rows after evt_4; want 0 (published before the commit)", rows)
	}
	if n := testkit.SubjectCount(t, st, "webhooks.>"); n != 4 {
		t.Errorf("stream holds %d events; want 4", n)
	}
	if n := scrape(t, s)[fallbacks]; n != 1 {
		t.Errorf("%s = %v after NATS came back; want still 1", fallbacks, n)
	}
}
