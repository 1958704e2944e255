package forward_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

// TestRelayRidesOutStreamOutage: the only server of an R1 stream stops
// while the relay has rows for it. Its publishes get no answer from any
// stream ("no responders") for as long as it is down, far more than
// ParkAfter times, but the stream still exists (the cluster's meta layer
// says so), so nothing is parked: once the server is back every row
// reaches the stream once, in order.
func TestRelayRidesOutStreamOutage(t *testing.T) {
	c := testkit.StartCluster(t, "forward-test")
	_, admin := testkit.JetStream(t, c.Servers[0].ClientURL())
	if err := forward.EnsureStream(testCtx(t), admin, forward.StreamConfig{Replicas: 1}); err != nil {
		t.Fatalf("EnsureStream: %v", err)
	}
	down := c.StreamLeader(forward.DefaultStreamName)
	// The relay's connection goes to the two other nodes only.
	var urls []string
	for i, srv := range c.Servers {
		if i != down {
			urls = append(urls, srv.ClientURL())
		}
	}
	nc := mustConn(t, strings.Join(urls, ","))
	db := mustDB(t)
	const parkAfter = 3
	logs := &recordHandler{}
	r := &forward.Relay{
		DB:         db,
		Logger:     slog.New(logs),
		Publish:    mustJSPublisher(t, nc, 0),
		MinBackoff: time.Millisecond,
		MaxBackoff: 10 * time.Millisecond,
		ParkAfter:  parkAfter,
	}
	r.Start()
	defer r.Close()
	want := messages(0, 15)
	enqueue(t, db, want[:5]...)
	r.Notify()
	testkit.WaitFor(t, 30*time.Second, testkit.Says("the first rows published"), func() bool { return depth(t, db).Rows == 0 })

	c.Stop(down)
	before := r.Stats().Failures
	enqueue(t, db, want[5:]...)
	r.Notify()
	// Many failed rounds in a row, each a publish that no stream answered
	// (or a lookup while the cluster elects a new meta leader).
	testkit.WaitFor(t, 60*time.Second, func() string {
		return fmt.Sprintf("relay stats %+v; want %d more failures", r.Stats(), 5*parkAfter)
	}, func() bool { return r.Stats().Failures >= before+5*parkAfter })
	if st := r.Stats(); st.Parked != 0 {
		t.Errorf("relay stats %+v while the stream's server is down; want no row parked", st)
	}
	if !logs.warned("stream " + forward.DefaultStreamName + " covers") {
		t.Errorf("no failed round said that stream %s covers the subject", forward.DefaultStreamName)
	}

	c.Start(down)
	c.WaitMeta()
	testkit.WaitFor(t, 60*time.Second, func() string {
		return fmt.Sprintf("outbox %+v, relay stats %+v", depth(t, db), r.Stats())
	}, func() bool { return depth(t, db).Rows == 0 })
	if n, _, err := forward.ParkedCount(testCtx(t), db); err != nil || n != 0 {
		t.Errorf("ParkedCount = %d, %v; want no row parked", n, err)
	}
	_, js := testkit.JetStream(t, urls[0])
	checkStream(t, js, want)
}

// noStreamPublisher fails its first fails calls as a publish that no
// stream answered, on the first message; then it acknowledges everything.
type noStreamPublisher struct {
	mu    sync.Mutex
	fails int
}

func (p *noStreamPublisher) Publish(_ context.Context, msgs []forward.Message, _ int) (forward.Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fails > 0 {
		p.fails--
		return forward.Result{Sent: 1}, fmt.Errorf("forward: publish %q: %w", msgs[0].ID, jetstream.ErrNoStreamResponse)
	}
	return forward.Result{Acked: len(msgs), Sent: len(msgs)}, nil
}

// findingPublisher is a noStreamPublisher that looks streams up, finding
// stream (or failing with err), and counts its lookups.
type findingPublisher struct {
	noStreamPublisher
	stream  string
	err     error
	lookups []string
}

func (p *findingPublisher) FindStream(_ context.Context, subject string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lookups = append(p.lookups, subject)
	return p.stream, p.err
}

// TestRelayNoStreamCountsOnlyWhenNoneCovers: a publish that no stream
// answered counts towards parking only when the publisher says that no
// stream covers the subject; a stream found, a failed lookup or a
// publisher that cannot look up leave it a failure that passes. The
// lookup is made only then.
func TestRelayNoStreamCountsOnlyWhenNoneCovers(t *testing.T) {
	const fails, parkAfter = 5, 2
	for _, c := range []struct {
		name   string
		pub    forward.Publisher
		parked int
		says   string
	}{
		{"a stream covers the subject", &findingPublisher{noStreamPublisher: noStreamPublisher{fails: fails}, stream: "WEBHOOKS"},
			0, "stream WEBHOOKS covers"},
		{"the lookup fails", &findingPublisher{noStreamPublisher: noStreamPublisher{fails: fails}, err: errors.New("nats: timeout")},
			0, "looking up the stream of"},
		{"no lookup", &noStreamPublisher{fails: fails}, 0, "cannot look up"},
		// Rows 0 and 1 parked after two refusals each, row 2 refused once.
		{"no stream covers the subject", &findingPublisher{noStreamPublisher: noStreamPublisher{fails: fails}}, 2, "no stream covers"},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, msgs := queued(t, 5)
			logs := &recordHandler{}
			r := &forward.Relay{DB: db, Publish: c.pub, Logger: slog.New(logs), MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, ParkAfter: parkAfter}
			r.Start()
			defer r.Close()
			r.Notify()
			testkit.WaitFor(t, 20*time.Second, testkit.Says("the outbox emptied"), func() bool { return depth(t, db).Rows == 0 })
			if st := r.Stats(); st.Parked != uint64(c.parked) || st.Published != uint64(len(msgs)-c.parked) || st.Failures != fails-uint64(c.parked) {
				t.Errorf("relay stats %+v; want %d parked, %d published, %d failed rounds", st, c.parked, len(msgs)-c.parked, fails-c.parked)
			}
			if !logs.warned(c.says) {
				t.Errorf("no warning of a failed round saying %q", c.says)
			}
			if p, ok := c.pub.(*findingPublisher); ok && (len(p.lookups) != fails || p.lookups[0] != msgs[0].Subject) {
				t.Errorf("lookups %q; want %d, of %s", p.lookups, fails, msgs[0].Subject)
			}
			rows, err := forward.ParkedRows(testCtx(t), db, forward.ParkedQuery{}, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				if !strings.Contains(row.Error, "no stream covers") {
					t.Errorf("parked row %d: error %q; want it to say that no stream covers the subject", row.Seq, row.Error)
				}
			}
		})
	}
}

// warned reports whether a warning's err attribute holds s.
func (h *recordHandler) warned(s string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.records {
		found := false
		r.Attrs(func(a slog.Attr) bool {
			found = found || (r.Level == slog.LevelWarn && a.Key == "err" && strings.Contains(a.Value.String(), s))
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// TestJetStreamPublisherFindStream: the lookup names the stream that
// covers a subject, says none for a subject no stream covers, and fails
// where JetStream does not answer.
func TestJetStreamPublisherFindStream(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	nc := mustConn(t, s.ClientURL())
	mustJetStream(t, nc)
	p := mustJSPublisher(t, nc, 0)
	if name, err := p.FindStream(testCtx(t), "webhooks.shop.order.created"); name != forward.DefaultStreamName || err != nil {
		t.Errorf("FindStream(webhooks.shop.order.created) = %q, %v; want %s", name, err, forward.DefaultStreamName)
	}
	if name, err := p.FindStream(testCtx(t), "elsewhere.orders"); name != "" || err != nil {
		t.Errorf("FindStream(elsewhere.orders) = %q, %v; want none", name, err)
	}

	plain, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	plain.Start()
	t.Cleanup(plain.Shutdown)
	if !plain.ReadyForConnections(10 * time.Second) {
		t.Fatal("server without JetStream not ready")
	}
	p = mustJSPublisher(t, mustConn(t, plain.ClientURL()), 0)
	if name, err := p.FindStream(testCtx(t), "webhooks.shop.order.created"); name != "" || err == nil {
		t.Errorf("FindStream without JetStream = %q, %v; want an error", name, err)
	}
}

// TestRelayParksWhenLookupDenied: a gateway user that may publish to the
// stream's subjects but not look streams up ($JS.API.STREAM.NAMES) gets a
// permissions violation for the lookup, which only times out. The lookup
// then says ErrLookupDenied (at once from the second time), and the relay
// counts "no responders" as a refusal, as it did before lookups: a row
// on a subject no stream covers is parked and the rows after it go on,
// instead of holding the outbox up for ever.
func TestRelayParksWhenLookupDenied(t *testing.T) {
	opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
		Users: []*server.User{
			{Username: "admin", Password: "a"},
			{Username: "gw", Password: "g", Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: []string{"webhooks.>", "other.>", "$JS.API.INFO", "$JS.API.STREAM.INFO.>"}},
				Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
			}},
		}}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	js := mustJetStream(t, mustConn(t, s.ClientURL(), nats.UserInfo("admin", "a")))
	nc := mustConn(t, s.ClientURL(), nats.UserInfo("gw", "g"), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	const timeout = 500 * time.Millisecond
	p := mustJSPublisher(t, nc, timeout)

	if _, err := p.FindStream(testCtx(t), "other.x"); !errors.Is(err, forward.ErrLookupDenied) {
		t.Fatalf("FindStream without the permission = %v; want ErrLookupDenied", err)
	}
	start := time.Now()
	if _, err := p.FindStream(testCtx(t), "other.x"); !errors.Is(err, forward.ErrLookupDenied) || time.Since(start) >= timeout {
		t.Fatalf("FindStream again = %v after %v; want ErrLookupDenied at once", err, time.Since(start))
	}

	db := mustDB(t)
	uncovered := testMessage(1)
	uncovered.Subject = "other.x"
	enqueue(t, db, uncovered, testMessage(2))
	r := &forward.Relay{DB: db, Logger: slog.New(slog.DiscardHandler), Publish: p,
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, ParkAfter: 2}
	defer r.Close()
	if err := r.Flush(testCtx(t)); err != nil {
		t.Fatalf("Flush = %v; want the uncovered row parked and the next one published", err)
	}
	if st := r.Stats(); st.Parked != 1 || st.Published != 1 {
		t.Errorf("Stats = %+v; want 1 parked, 1 published", st)
	}
	checkStream(t, js, []forward.Message{testMessage(2)})
	rows, err := forward.ParkedRows(testCtx(t), db, forward.ParkedQuery{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !strings.Contains(rows[0].Error, "STREAM.NAMES") {
		t.Errorf("parked rows %+v; want the uncovered row, its refusal naming the lookup denied", rows)
	}
}
