package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/webhook"
	"github.com/hookgate/hookgate/webhook/decidertest"
)

// directEnv is a writer that publishes to a stream of a real embedded NATS
// server, on a real SQLite file.
type directEnv struct {
	w         *Writer
	db        *DB
	js        jetstream.JetStream
	pub       *forward.JetStreamPublisher
	fallbacks atomic.Int64
}

// startNATS starts an embedded server and creates the stream cfg (default:
// WEBHOOKS on webhooks.>).
func startNATS(t *testing.T, cfg jetstream.StreamConfig) (jetstream.JetStream, *forward.JetStreamPublisher) {
	t.Helper()
	srv, err := forward.StartServer(forward.ServerConfig{StoreDir: t.TempDir(), Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	nc, js := testkit.JetStream(t, srv.ClientURL(), nats.ReconnectBufSize(-1), nats.SetCustomDialer(&forward.Dialer{}))
	if cfg.Name == "" {
		cfg.Name, cfg.Subjects = forward.DefaultStreamName, []string{"webhooks.>"}
	}
	if _, err := js.CreateStream(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	pub, err := forward.NewJetStreamPublisher(nc, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return js, pub
}

// newDirect opens a database in dir and a writer on it that publishes to
// js's stream; CatchUp runs before Start, as the gateway does.
func newDirect(t *testing.T, dir string, js jetstream.JetStream, pub *forward.JetStreamPublisher, now func() time.Time, configure ...func(*Writer)) *directEnv {
	t.Helper()
	db, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &directEnv{db: db, js: js, pub: pub}
	e.w = &Writer{DB: db.Write, Outbox: &forward.Counter{}, Now: now, Stream: &Stream{
		Publish: pub,
		Since: func(ctx context.Context, seq uint64, fn func(uint64, forward.Message) error) (uint64, error) {
			return forward.ReadSince(ctx, js, forward.DefaultStreamName, seq, fn)
		},
		Reclaim:  reclaimTest,
		Fallback: func(n int, _ error) { e.fallbacks.Add(int64(n)) },
	}}
	for _, c := range configure {
		c(e.w)
	}
	// Bounded, as the gateway bounds it: a CatchUp that hangs fails here.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := e.w.CatchUp(ctx); err != nil {
		t.Fatalf("CatchUp: %v", err)
	}
	e.w.Start()
	t.Cleanup(func() {
		e.w.Close()
		db.Close()
	})
	return e
}

// directEvent is testEvent with the headers the gateway sets, which
// CatchUp reads back.
func directEvent(id, entity string, version int64) *webhook.Event {
	ev := testEvent(id, entity, version)
	ev.Message.Header = nats.Header{}
	ev.Message.Header.Set(forward.HeaderProvider, "p")
	ev.Message.Header.Set(forward.HeaderEventID, id)
	if entity != "" {
		ev.Message.Header.Set(forward.HeaderOrderingKey, entity)
		ev.Message.Header.Set(forward.HeaderOrderingVersion, strconv.FormatInt(version, 10))
	}
	return ev
}

// reclaimTest is the gateway's reclaim for the provider "p" of directEvent.
func reclaimTest(m forward.Message) (*webhook.Event, bool) {
	id := m.Header.Get(forward.HeaderEventID)
	if m.Header.Get(forward.HeaderReplay) != "" || m.Header.Get(forward.HeaderProvider) != "p" || id == "" {
		return nil, false
	}
	ev := &webhook.Event{Key: m.ID, TTL: time.Hour}
	if key := m.Header.Get(forward.HeaderOrderingKey); key != "" {
		v, err := strconv.ParseInt(m.Header.Get(forward.HeaderOrderingVersion), 10, 64)
		if err != nil {
			return nil, false
		}
		ev.Ordered, ev.Entity, ev.Version = true, "p:"+key, v
	}
	return ev, true
}

// streamIDs returns the Nats-Msg-Id of every message on the stream, in
// order.
func streamIDs(t *testing.T, js jetstream.JetStream) []string {
	t.Helper()
	var ids []string
	_, err := forward.ReadSince(t.Context(), js, forward.DefaultStreamName, 0, func(_ uint64, m forward.Message) error {
		ids = append(ids, m.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func outboxIDs(t testing.TB, db *DB) []string {
	t.Helper()
	rows, err := db.Read.Query(`SELECT msg_id FROM outbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func mark(t *testing.T, db *DB) uint64 {
	t.Helper()
	var seq uint64
	if err := db.Read.QueryRow(`SELECT coalesce((SELECT seq FROM stream_mark), 0)`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	return seq
}

func decideAll(t *testing.T, w *Writer, steps []decideStep) {
	t.Helper()
	for i, s := range steps {
		got, err := w.Decide(t.Context(), s.ev)
		if err != nil || got != s.want {
			t.Errorf("step %d: Decide(%s v%d) = %v, %v; want %v", i, s.ev.Key, s.ev.Version, got, err, s.want)
		}
	}
}

type decideStep struct {
	ev   *webhook.Event
	want webhook.Outcome
}

// TestWriterDirect: with a Stream, accepted events are on the stream in
// decision order and nothing is written to the outbox; the mark covers
// them.
func TestWriterDirect(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	e := newDirect(t, t.TempDir(), js, pub, nil)
	decideAll(t, e.w, []decideStep{
		{ev: directEvent("a", "e1", 2), want: webhook.Accepted},
		{ev: directEvent("a", "e1", 2), want: webhook.Duplicate},
		{ev: directEvent("b", "e1", 1), want: webhook.Stale},
		{ev: directEvent("c", "e1", 2), want: webhook.Accepted},
		{ev: directEvent("d", "e1", 3), want: webhook.Accepted},
		{ev: directEvent("e", "", 0), want: webhook.Accepted},
	})
	if got, want := streamIDs(t, js), []string{"p:a", "p:c", "p:d", "p:e"}; !equal(got, want) {
		t.Errorf("stream = %v; want %v", got, want)
	}
	e.w.Close() // commits what it holds
	if ids := outboxIDs(t, e.db); len(ids) != 0 {
		t.Errorf("outbox = %v; want empty", ids)
	}
	if rows, bytes := e.w.Outbox.Load(); rows != 0 || bytes != 0 {
		t.Errorf("outbox counted as %d rows, %d bytes; want 0, 0", rows, bytes)
	}
	if m := mark(t, e.db); m != 4 {
		t.Errorf("stream mark = %d; want 4", m)
	}
}

// TestWriterDirectFallback: a stream that refuses the third message (its
// limit is two, new ones discarded) leaves it in the outbox, and the events
// after it queue behind it there, never on the stream before it.
func TestWriterDirectFallback(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{Name: forward.DefaultStreamName, Subjects: []string{"webhooks.>"},
		MaxMsgs: 2, Discard: jetstream.DiscardNew})
	e := newDirect(t, t.TempDir(), js, pub, nil)
	decideAll(t, e.w, []decideStep{
		{ev: directEvent("a", "e1", 1), want: webhook.Accepted},
		{ev: directEvent("b", "e1", 2), want: webhook.Accepted},
		{ev: directEvent("c", "e1", 3), want: webhook.Accepted},
		{ev: directEvent("d", "e1", 4), want: webhook.Accepted},
		{ev: directEvent("c", "e1", 3), want: webhook.Duplicate},
	})
	if got, want := streamIDs(t, js), []string{"p:a", "p:b"}; !equal(got, want) {
		t.Errorf("stream = %v; want %v", got, want)
	}
	if got, want := outboxIDs(t, e.db), []string{"p:c", "p:d"}; !equal(got, want) {
		t.Errorf("outbox = %v; want %v", got, want)
	}
	if rows, _ := e.w.Outbox.Load(); rows != 2 {
		t.Errorf("outbox counted as %d rows; want 2", rows)
	}
	if n := e.fallbacks.Load(); n != 1 {
		t.Errorf("Fallback told of %d events; want 1 (c; d went to the outbox without a publish)", n)
	}
	if m := mark(t, e.db); m != 2 {
		t.Errorf("stream mark = %d; want 2", m)
	}
}

// lostCommits sets a crash up: a writer on a new database in dir accepts
// first (so that its mark is recorded) and stops; then lost are published
// as if its next batch had been, with the commit lost.
func lostCommits(t *testing.T, first *webhook.Event, lost ...forward.Message) (jetstream.JetStream, *forward.JetStreamPublisher, string) {
	t.Helper()
	js, pub := startNATS(t, jetstream.StreamConfig{})
	dir := t.TempDir()
	e := newDirect(t, dir, js, pub, nil)
	decideAll(t, e.w, []decideStep{{ev: first, want: webhook.Accepted}})
	e.w.Close()
	e.db.Close()
	if _, err := pub.Publish(t.Context(), lost, len(lost)); err != nil {
		t.Fatal(err)
	}
	return js, pub, dir
}

// TestWriterCatchUp: events the stream stored whose claims were never
// committed (a crash between the ack and the commit) are claimed by
// CatchUp before the writer decides again: their retries are duplicates,
// older versions of their entities are stale; replays claim nothing.
func TestWriterCatchUp(t *testing.T) {
	replay := directEvent("r", "", 0).Message
	replay.ID = "p:r@replay-1"
	replay.Header.Set(forward.HeaderReplay, "replay-1")
	js, pub, dir := lostCommits(t, directEvent("a", "e1", 1), directEvent("x", "e1", 5).Message, directEvent("y", "", 0).Message, replay)

	e := newDirect(t, dir, js, pub, nil)
	if m := mark(t, e.db); m != 4 {
		t.Errorf("stream mark after CatchUp = %d; want 4 (the stream's end)", m)
	}
	decideAll(t, e.w, []decideStep{
		{ev: directEvent("x", "e1", 5), want: webhook.Duplicate},
		{ev: directEvent("y", "", 0), want: webhook.Duplicate},
		{ev: directEvent("z", "e1", 4), want: webhook.Stale},
		{ev: directEvent("r", "", 0), want: webhook.Accepted}, // the replay claimed nothing
		{ev: directEvent("a", "e1", 1), want: webhook.Duplicate},
	})
	if got, want := streamIDs(t, js), []string{"p:a", "p:x", "p:y", "p:r@replay-1", "p:r"}; !equal(got, want) {
		t.Errorf("stream = %v; want %v", got, want)
	}
}

// TestConformanceDirect runs the deciders' shared suite on the writer that
// publishes to the stream itself.
func TestConformanceDirect(t *testing.T) {
	decidertest.Run(t, func(t *testing.T) *decidertest.Backend {
		js, pub := startNATS(t, jetstream.StreamConfig{})
		var now atomic.Int64
		now.Store(time.Now().UnixNano())
		e := newDirect(t, t.TempDir(), js, pub, func() time.Time { return time.Unix(0, now.Load()) })
		// The writer's publishes are recorded as it made them: an event
		// accepted again after its TTL is one the stream drops as a
		// duplicate here, where the clock jumps past the TTL within the
		// stream's duplicate window (a config cannot set a TTL shorter
		// than the window).
		rec := &recorder{Publisher: pub}
		e.w.Stream.Publish = rec
		return &decidertest.Backend{
			Decider: e.w,
			Forwarded: func(tb testing.TB) []string {
				return append(rec.ids(), outboxIDs(t, e.db)...)
			},
			Expire: func(testing.TB) { now.Add(int64(decidertest.TTL + time.Second)) },
			Break: func(testing.TB) {
				// The writer holds the pool's connection while a
				// transaction waits for the next batches: wait for it
				// to come back, then close the pool.
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				c, err := e.db.Write.Conn(ctx)
				if err != nil {
					t.Fatalf("the writer kept the database's connection: %v", err)
				}
				c.Close()
				e.db.Write.Close()
			},
		}
	})
}

// recorder is a Publisher that records the IDs of the messages its
// Publisher acknowledged.
type recorder struct {
	forward.Publisher
	mu    sync.Mutex
	acked []string
}

func (r *recorder) Publish(ctx context.Context, msgs []forward.Message, window int) (forward.Result, error) {
	res, err := r.Publisher.Publish(ctx, msgs, window)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs[:res.Acked] {
		r.acked = append(r.acked, m.ID)
	}
	return res, err
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.acked)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestWriterDirectLargeBody: an event over directMaxBody goes through the
// outbox, and the events after it queue behind it.
func TestWriterDirectLargeBody(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	e := newDirect(t, t.TempDir(), js, pub, nil)
	large := directEvent("b", "e1", 2)
	large.Message.Body = make([]byte, directMaxBody+1)
	decideAll(t, e.w, []decideStep{
		{ev: directEvent("a", "e1", 1), want: webhook.Accepted},
		{ev: large, want: webhook.Accepted},
		{ev: directEvent("c", "e1", 3), want: webhook.Accepted},
	})
	if got, want := streamIDs(t, js), []string{"p:a"}; !equal(got, want) {
		t.Errorf("stream = %v; want %v", got, want)
	}
	if got, want := outboxIDs(t, e.db), []string{"p:b", "p:c"}; !equal(got, want) {
		t.Errorf("outbox = %v; want %v", got, want)
	}
	if n := e.fallbacks.Load(); n != 0 {
		t.Errorf("Fallback told of %d events; want 0 (nothing was refused)", n)
	}
}

// TestDirectWholeBatch: one event over directMaxBody sends its whole batch
// through the outbox, so that no event of the batch reaches the stream
// before an earlier one that the outbox holds.
func TestDirectWholeBatch(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	e := newDirect(t, t.TempDir(), js, pub, nil)
	large := directEvent("b", "e2", 1)
	large.Message.Body = make([]byte, directMaxBody+1)
	for _, c := range []struct {
		name  string
		batch []*webhook.Event
		want  bool
	}{
		{name: "small events", batch: []*webhook.Event{directEvent("a", "e1", 1), directEvent("c", "e1", 2)}, want: true},
		{name: "a large one in the middle", batch: []*webhook.Event{directEvent("a", "e1", 1), large, directEvent("c", "e1", 2)}, want: false},
	} {
		var batch []*pending
		for _, ev := range c.batch {
			batch = append(batch, &pending{ctx: t.Context(), ev: ev})
		}
		tx, err := e.db.Write.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.w.direct(t.Context(), tx, batch)
		tx.Rollback()
		if err != nil || got != c.want {
			t.Errorf("%s: direct = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

// TestCatchUpStartsAtTheEnd: a database that never recorded a publish
// (new, or from before publishing before the commit) starts at the
// stream's end without reading it.
func TestCatchUpStartsAtTheEnd(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	old := []forward.Message{directEvent("x", "", 0).Message, directEvent("y", "", 0).Message}
	if _, err := pub.Publish(t.Context(), old, len(old)); err != nil {
		t.Fatal(err)
	}
	e := newDirect(t, t.TempDir(), js, pub, nil)
	if m := mark(t, e.db); m != 2 {
		t.Errorf("stream mark = %d; want 2, the stream's end", m)
	}
	if n := count(t, e.db, "processed_events"); n != 0 {
		t.Errorf("%d claims recorded from the old stream; want none", n)
	}
}

// TestCatchUpAfterAPurge: messages after the mark that the stream removed
// (a subject purge) do not hold CatchUp up.
func TestCatchUpAfterAPurge(t *testing.T) {
	lost := directEvent("b", "", 0).Message
	lost.Subject = "webhooks.gone.t"
	js, pub, dir := lostCommits(t, directEvent("a", "", 0), lost)
	st, err := js.Stream(t.Context(), forward.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(t.Context(), jetstream.WithPurgeSubject("webhooks.gone.>")); err != nil {
		t.Fatal(err)
	}
	e := newDirect(t, dir, js, pub, nil) // fails if CatchUp fails or hangs
	if m := mark(t, e.db); m != 2 {
		t.Errorf("stream mark = %d; want 2", m)
	}
}

// TestBehindRefuses: while the writer cannot catch up (here NATS is down
// after a commit failed behind a publish), it refuses to decide: a retry
// or an older version could otherwise be accepted. It reports itself
// unhealthy meanwhile (a probe of the database does not hide it), and
// catches up by itself once NATS is back, without a request to prompt it.
func TestBehindRefuses(t *testing.T) {
	storeDir := t.TempDir()
	srv, err := forward.StartServer(forward.ServerConfig{StoreDir: storeDir, Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	port := srv.Addr().(*net.TCPAddr).Port
	nc, js := testkit.JetStream(t, srv.ClientURL(), nats.ReconnectBufSize(-1), nats.SetCustomDialer(&forward.Dialer{}), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: forward.DefaultStreamName, Subjects: []string{"webhooks.>"}}); err != nil {
		t.Fatal(err)
	}
	pub, err := forward.NewJetStreamPublisher(nc, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w := &Writer{DB: db.Write, Outbox: &forward.Counter{}, Stream: &Stream{
		Publish: pub,
		Since: func(ctx context.Context, seq uint64, fn func(uint64, forward.Message) error) (uint64, error) {
			return forward.ReadSince(ctx, js, forward.DefaultStreamName, seq, fn)
		},
		Reclaim: reclaimTest,
	}}
	w.behind = true // as after a commit that failed behind a publish
	srv.Shutdown()
	srv.WaitForShutdown()
	w.Start()
	defer w.Close()
	if _, err := w.Decide(t.Context(), directEvent("a", "", 0)); !errors.Is(err, ErrStorage) || !strings.Contains(err.Error(), "not recorded yet") {
		t.Fatalf("Decide while behind and NATS down = %v; want ErrStorage saying the stream's events are not recorded yet", err)
	}
	if n := count(t, db, "processed_events"); n != 0 {
		t.Errorf("%d claims recorded while behind; want none", n)
	}
	if err := w.Probe(t.Context()); err != nil {
		t.Fatalf("Probe = %v; want nil (the database takes writes)", err)
	}
	if err := w.Healthy(); !errors.Is(err, ErrStorage) || !strings.Contains(err.Error(), "not recorded yet") {
		t.Fatalf("Healthy while behind, after a probe = %v; want the error saying the stream's events are not recorded yet", err)
	}

	srv, err = forward.StartServer(forward.ServerConfig{StoreDir: storeDir, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	// The writer retries every 5 s; the client reconnects within 20 ms.
	testkit.WaitFor(t, 30*time.Second, testkit.Says("the writer caught up by itself"), func() bool { return w.Healthy() == nil })
	if o, err := w.Decide(t.Context(), directEvent("a", "", 0)); err != nil || o != webhook.Accepted {
		t.Fatalf("Decide once caught up = %v, %v; want accepted", o, err)
	}
}

// ackLost is a Publisher whose next call's messages reach the stream but
// whose acknowledgements are lost (as when the connection drops after the
// send, or the acks come after the timeout): it reports nothing
// acknowledged, all sent.
type ackLost struct {
	forward.Publisher
	armed atomic.Bool
}

func (p *ackLost) Publish(ctx context.Context, msgs []forward.Message, window int) (forward.Result, error) {
	res, err := p.Publisher.Publish(ctx, msgs, window)
	if err != nil || !p.armed.CompareAndSwap(true, false) {
		return res, err
	}
	return forward.Result{Sent: res.Sent}, fmt.Errorf("test: acks lost: %w", jetstream.ErrAsyncPublishTimeout)
}

// TestCommitFailsAfterLostAcks: a batch whose messages the stream stored
// without its acknowledgements reaching the writer goes to the outbox, and
// when that commit fails too, the caller gets an error and nothing is
// claimed; but the event is on the stream, so the writer reads the stream
// back before the next batch: the event's retry is a duplicate (not
// forwarded again, which after the duplicate window would store it twice)
// and an older version of its entity is stale.
func TestCommitFailsAfterLostAcks(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	lost := &ackLost{Publisher: pub}
	var fail atomic.Bool
	e := newDirect(t, t.TempDir(), js, pub, nil, func(w *Writer) {
		w.Stream.Publish = lost
		w.testHookCommit = func() error {
			if fail.CompareAndSwap(true, false) {
				return errors.New("test: disk full")
			}
			return nil
		}
	})
	lost.armed.Store(true)
	fail.Store(true)
	if _, err := e.w.Decide(t.Context(), directEvent("a", "e1", 2)); !errors.Is(err, ErrStorage) {
		t.Fatalf("Decide with the acks lost and the commit failing = %v; want ErrStorage", err)
	}
	if lost.armed.Load() || fail.Load() {
		t.Fatal("the publish or the commit did not fail as set up")
	}
	if got, want := streamIDs(t, js), []string{"p:a"}; !equal(got, want) {
		t.Fatalf("stream = %v; want %v (stored, unacknowledged)", got, want)
	}
	decideAll(t, e.w, []decideStep{
		{ev: directEvent("a", "e1", 2), want: webhook.Duplicate},
		{ev: directEvent("b", "e1", 1), want: webhook.Stale},
	})
	e.w.Close()
	if ids := outboxIDs(t, e.db); len(ids) != 0 {
		t.Errorf("outbox = %v; want empty (its row was rolled back)", ids)
	}
	if got, want := streamIDs(t, js), []string{"p:a"}; !equal(got, want) {
		t.Errorf("stream = %v; want %v", got, want)
	}
}
