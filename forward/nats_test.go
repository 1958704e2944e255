package forward_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

func TestRelayJetStream(t *testing.T) {
	const n = 500
	s := mustServer(t, forward.ServerConfig{})
	nc := mustConn(t, s.ClientURL())
	js := mustJetStream(t, nc)
	db := mustDB(t)
	readDB := openDB(t, dbPath(t, db))

	r := &forward.Relay{
		DB:      db,
		ReadDB:  readDB,
		Publish: mustJSPublisher(t, nc, 0),
		Batch:   64,
		Window:  16,
	}
	r.Start()
	defer r.Close()

	want := messages(0, n)
	// Several commits, each followed by a wake-up, like the gateway.
	for i := 0; i < n; i += 100 {
		enqueue(t, db, want[i:i+100]...)
		r.Notify()
	}
	testkit.WaitFor(t, 10*time.Second, testkit.Says("empty outbox"), func() bool { return depth(t, db).Rows == 0 })

	checkStream(t, js, want)
	if st := r.Stats(); st.Published != n || st.Duplicates != 0 || st.Failures != 0 || st.Lag <= 0 {
		t.Errorf("Stats = %+v; want %d published, no duplicates or failures, a lag", st, n)
	}
}

// dbPath returns the file of a SQLite database.
func dbPath(t *testing.T, db *sql.DB) string {
	t.Helper()
	var (
		seq        int
		name, file string
	)
	if err := db.QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestJetStreamPublisherDuplicate(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	nc := mustConn(t, s.ClientURL())
	js := mustJetStream(t, nc)
	p := mustJSPublisher(t, nc, 0)
	m := testMessage(1)

	tests := []struct {
		name string
		want forward.Result
	}{
		// A duplicate's ack names the stored copy's sequence.
		{"first", forward.Result{Acked: 1, Seq: 1, Sent: 1}},
		{"republish", forward.Result{Acked: 1, Duplicates: 1, Seq: 1, Sent: 1}},
		{"again", forward.Result{Acked: 1, Duplicates: 1, Seq: 1, Sent: 1}},
	}
	for _, tt := range tests {
		res, err := p.Publish(t.Context(), []forward.Message{m}, 1)
		if err != nil || res != tt.want {
			t.Errorf("%s: Publish = %+v, %v; want %+v", tt.name, res, err, tt.want)
		}
	}
	if got := p.Duplicates(); got != 2 {
		t.Errorf("Duplicates() = %d; want 2", got)
	}
	checkStream(t, js, []forward.Message{m})

	// Through the relay: the same event enqueued twice is stored once.
	db := mustDB(t)
	m2 := testMessage(2)
	enqueue(t, db, m2, m2, testMessage(3))
	r := &forward.Relay{DB: db, Publish: p}
	defer r.Close()
	if err := r.Flush(t.Context()); err != nil {
		t.Fatalf("Flush = %v", err)
	}
	if st := r.Stats(); st.Published != 3 || st.Duplicates != 1 {
		t.Errorf("relay Stats = %+v; want 3 published, 1 duplicate", st)
	}
	checkStream(t, js, []forward.Message{m, m2, testMessage(3)})
}

func TestRelayOutage(t *testing.T) {
	storeDir := t.TempDir()
	s := mustServer(t, forward.ServerConfig{StoreDir: storeDir})
	port := s.Addr().(*net.TCPAddr).Port
	nc := mustConn(t, s.ClientURL())
	js := mustJetStream(t, nc)
	db := mustDB(t)

	r := &forward.Relay{
		DB:           db,
		Publish:      mustJSPublisher(t, nc, time.Second),
		Batch:        32,
		Window:       8,
		MinBackoff:   10 * time.Millisecond,
		MaxBackoff:   100 * time.Millisecond,
		PollInterval: 50 * time.Millisecond,
	}
	r.Start()
	defer r.Close()

	// Phase 1: the relay is publishing when the server goes away.
	enqueue(t, db, messages(0, 1000)...)
	r.Notify()
	testkit.WaitFor(t, 5*time.Second, testkit.Says("first publishes"), func() bool { return r.Stats().Published > 0 })
	s.Shutdown()
	s.WaitForShutdown()
	t.Logf("server stopped with %d rows in the outbox", depth(t, db).Rows)

	// Phase 2: the gateway keeps accepting while NATS is down; the relay
	// retries with backoff and the rows stay.
	failures := r.Stats().Failures
	enqueue(t, db, messages(1000, 1100)...)
	r.Notify()
	testkit.WaitFor(t, 5*time.Second, testkit.Says("relay retries"), func() bool { return r.Stats().Failures >= failures+3 })
	if d := depth(t, db); d.Rows < 100 {
		t.Fatalf("outbox has %d rows while NATS is down; want >= 100", d.Rows)
	}

	// Phase 3: the server comes back on the same port and store.
	mustServer(t, forward.ServerConfig{StoreDir: storeDir, Port: port})
	enqueue(t, db, messages(1100, 1200)...)
	r.Notify()
	testkit.WaitFor(t, 15*time.Second, testkit.Says("empty outbox after restart"), func() bool { return depth(t, db).Rows == 0 })

	checkStream(t, js, messages(0, 1200))
	st := r.Stats()
	if st.Published < 1200 {
		t.Errorf("Stats = %+v; want >= 1200 published", st)
	}
	t.Logf("relay stats after outage: %+v", st)
}

func TestCorePublisher(t *testing.T) {
	const n = 300
	s := mustServer(t, forward.ServerConfig{})
	nc := mustConn(t, s.ClientURL())
	subConn := mustConn(t, s.ClientURL())
	sub, err := subConn.SubscribeSync("webhooks.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := subConn.Flush(); err != nil {
		t.Fatal(err)
	}
	db, want := queued(t, n)

	r := &forward.Relay{DB: db, Publish: forward.NewCorePublisher(nc, 0), Window: 32}
	r.Start()
	defer r.Close()
	r.Notify()

	for i, w := range want {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if id := m.Header.Get(forward.HeaderMsgID); id != w.ID || string(m.Data) != string(w.Body) || m.Subject != w.Subject {
			t.Fatalf("message %d = %s %q %q; want %s %q %q", i, id, m.Subject, m.Data, w.ID, w.Subject, w.Body)
		}
		if got := m.Header.Get(forward.HeaderEventID); got != w.Header.Get(forward.HeaderEventID) {
			t.Errorf("message %d: %s = %q", i, forward.HeaderEventID, got)
		}
	}
	testkit.WaitFor(t, 5*time.Second, testkit.Says("empty outbox"), func() bool { return depth(t, db).Rows == 0 })
}

// TestNewJetStreamPublisherNeedsNoReconnectBuffer: a connection with a
// reconnect buffer, or not dialed by a forward.Dialer, is refused.
func TestNewJetStreamPublisherNeedsNoReconnectBuffer(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	for _, c := range []struct {
		name string
		opts []nats.Option
		want error
	}{
		{"default buffer", []nats.Option{nats.SetCustomDialer(&forward.Dialer{})}, forward.ErrReconnectBuffer},
		{"default dialer", []nats.Option{nats.ReconnectBufSize(-1)}, forward.ErrDialer},
		{"another dialer", []nats.Option{nats.ReconnectBufSize(-1), nats.SetCustomDialer(&net.Dialer{})}, forward.ErrDialer},
		{"both", []nats.Option{nats.ReconnectBufSize(-1), nats.SetCustomDialer(&forward.Dialer{})}, nil},
	} {
		nc, err := nats.Connect(s.ClientURL(), c.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := forward.NewJetStreamPublisher(nc, 0); !errors.Is(err, c.want) {
			t.Errorf("NewJetStreamPublisher(%s) = %v; want %v", c.name, err, c.want)
		}
		nc.Close()
	}
}

func TestEnsureStream(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	js, err := jetstream.New(mustConn(t, s.ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	steps := []struct {
		name string
		cfg  forward.StreamConfig
		want jetstream.StreamConfig // Name, Subjects, Duplicates checked
	}{
		{"create with defaults", forward.StreamConfig{},
			jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}, Duplicates: 2 * time.Minute}},
		{"existing, same", forward.StreamConfig{},
			jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}, Duplicates: 2 * time.Minute}},
		{"existing, duplicates updated, subjects kept", forward.StreamConfig{Subjects: []string{"other.>"}, Duplicates: 10 * time.Minute},
			jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}, Duplicates: 10 * time.Minute}},
		{"other stream", forward.StreamConfig{Name: "HOOKS2", Subjects: []string{"hooks2.>"}, Duplicates: time.Minute},
			jetstream.StreamConfig{Name: "HOOKS2", Subjects: []string{"hooks2.>"}, Duplicates: time.Minute}},
	}
	for _, st := range steps {
		if err := forward.EnsureStream(ctx, js, st.cfg); err != nil {
			t.Fatalf("%s: EnsureStream = %v", st.name, err)
		}
		str, err := js.Stream(ctx, st.want.Name)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := str.CachedInfo().Config
		if got.Storage != jetstream.FileStorage || strings.Join(got.Subjects, ",") != strings.Join(st.want.Subjects, ",") || got.Duplicates != st.want.Duplicates {
			t.Errorf("%s: stream config = %v %v %v; want file, %v %v", st.name, got.Storage, got.Subjects, got.Duplicates, st.want.Subjects, st.want.Duplicates)
		}
	}
}

func TestStartServerErrors(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	busy := s.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name string
		cfg  forward.ServerConfig
		want error
	}{
		{"no store dir", forward.ServerConfig{Port: -1}, forward.ErrNoStoreDir},
		{"port in use", forward.ServerConfig{Port: busy, StoreDir: t.TempDir(), ReadyTimeout: 2 * time.Second}, forward.ErrServerNotReady},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := forward.StartServer(tt.cfg)
			if s != nil {
				s.Shutdown()
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("StartServer(%+v) = %v; want %v", tt.cfg, err, tt.want)
			}
		})
	}
}

func BenchmarkRelay(b *testing.B) {
	s := mustServer(b, forward.ServerConfig{})
	nc := mustConn(b, s.ClientURL())
	mustJetStream(b, nc)
	db := mustDB(b)
	msgs := messages(0, b.N)
	for i := 0; i < len(msgs); i += 1000 {
		enqueue(b, db, msgs[i:min(i+1000, len(msgs))]...)
	}
	r := &forward.Relay{DB: db, Publish: mustJSPublisher(b, nc, 0)}
	defer r.Close()

	b.ReportAllocs()
	b.ResetTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		b.Fatalf("Flush = %v", err)
	}
	b.StopTimer()
	if st := r.Stats(); st.Published != uint64(b.N) {
		b.Fatalf("published %d; want %d", st.Published, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkDuplicateWindowMemory measures what the embedded server keeps
// in memory per message inside the stream's duplicate window: its
// Nats-Msg-Id map and bookkeeping, which dominate the gateway's live heap
// at a high rate. The IDs have the length of a Stripe event's
// ("stripe:evt_" and 24 characters); the window (2 minutes) outlasts the
// run, so every ID is still held when the live heap is read.
func BenchmarkDuplicateWindowMemory(b *testing.B) {
	s := mustServer(b, forward.ServerConfig{})
	nc := mustConn(b, s.ClientURL())
	mustJetStream(b, nc)
	p := mustJSPublisher(b, nc, 0)
	msgs := make([]forward.Message, 0, 1000)
	ctx := testCtx(b)
	live := func() uint64 {
		runtime.GC()
		m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(m)
		return m[0].Value.Uint64()
	}
	before := live()
	b.ResetTimer()
	for i := 0; i < b.N; i += cap(msgs) {
		msgs = msgs[:0]
		for j := i; j < min(i+cap(msgs), b.N); j++ {
			msgs = append(msgs, forward.Message{
				ID:      fmt.Sprintf("stripe:evt_%024d", j),
				Subject: forward.Subject("", "stripe", "charge.succeeded"),
				Body:    []byte(`{}`),
			})
		}
		res, err := p.Publish(ctx, msgs, len(msgs))
		if err != nil || res.Acked != len(msgs) {
			b.Fatalf("Publish: %d of %d acked, %v", res.Acked, len(msgs), err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(int64(live())-int64(before))/float64(b.N), "live-B/msg")
}
