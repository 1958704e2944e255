package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/webhook"
)

// mustWriter opens a temp-file database and starts a Writer on it.
func mustWriter(tb testing.TB) (*Writer, *DB, *atomic.Int64) {
	tb.Helper()
	db, err := Open(context.Background(), tb.TempDir(), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	var commits atomic.Int64
	w := &Writer{DB: db.Write, Outbox: &forward.Counter{}, Committed: func() { commits.Add(1) }}
	w.Start()
	tb.Cleanup(func() {
		w.Close()
		db.Close()
	})
	return w, db, &commits
}

func testEvent(id, entity string, version int64) *webhook.Event {
	return &webhook.Event{
		Key:     "p:" + id,
		TTL:     time.Hour,
		Ordered: entity != "",
		Entity:  "p:" + entity,
		Version: version,
		Message: forward.Message{ID: "p:" + id, Subject: "webhooks.p.t", Body: []byte(`{"id":"` + id + `"}`)},
	}
}

func count(tb testing.TB, db *DB, table string) int {
	tb.Helper()
	var n int
	if err := db.Read.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestWriterDecides(t *testing.T) {
	w, db, commits := mustWriter(t)
	ctx := context.Background()
	for i, c := range []struct {
		ev   *webhook.Event
		want webhook.Outcome
	}{
		{testEvent("a", "e1", 2), webhook.Accepted},
		{testEvent("a", "e1", 2), webhook.Duplicate},
		{testEvent("b", "e1", 1), webhook.Stale},
		{testEvent("b", "e1", 3), webhook.Duplicate}, // b was recorded when it was stale
		{testEvent("c", "e1", 2), webhook.Accepted},  // a tie is forwarded
		{testEvent("d", "e1", 3), webhook.Accepted},
		{testEvent("e", "", 0), webhook.Accepted}, // unordered
	} {
		got, err := w.Decide(ctx, c.ev)
		if err != nil || got != c.want {
			t.Errorf("step %d: Decide(%s v%d) = %v, %v; want %v", i, c.ev.Key, c.ev.Version, got, err, c.want)
		}
	}
	if n := count(t, db, "outbox"); n != 4 {
		t.Errorf("outbox rows = %d; want 4 (a, c, d, e)", n)
	}
	if commits.Load() == 0 {
		t.Error("Committed was never called after accepting events")
	}
}

// TestWriterConcurrentSameID has 50 goroutines deliver one event: exactly
// one is accepted and one outbox row exists.
func TestWriterConcurrentSameID(t *testing.T) {
	w, db, _ := mustWriter(t)
	var (
		wg       sync.WaitGroup
		accepted atomic.Int64
		dups     atomic.Int64
		failed   atomic.Int64
	)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch o, err := w.Decide(context.Background(), testEvent("same", "", 0)); {
			case err != nil:
				failed.Add(1)
			case o == webhook.Accepted:
				accepted.Add(1)
			case o == webhook.Duplicate:
				dups.Add(1)
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != 1 || dups.Load() != 49 || failed.Load() != 0 {
		t.Fatalf("accepted %d, duplicates %d, failed %d; want 1, 49, 0", accepted.Load(), dups.Load(), failed.Load())
	}
	if n := count(t, db, "outbox"); n != 1 {
		t.Fatalf("outbox rows = %d; want 1", n)
	}
}

// TestWriterIsolatesFailures puts a failing event into a batch with good
// ones: the failure is that event's alone and leaves no trace of it.
func TestWriterIsolatesFailures(t *testing.T) {
	w, db, _ := mustWriter(t)
	// Hold the only write connection so that the events queue up and are
	// committed as one batch once it is released.
	conn, err := db.Write.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() }) // before the writer's cleanup, even on failure
	type res struct {
		id  string
		o   webhook.Outcome
		err error
	}
	results := make(chan res, 11)
	decide := func(ev *webhook.Event, id string) {
		o, err := w.Decide(context.Background(), ev)
		results <- res{id, o, err}
	}
	go decide(testEvent("first", "", 0), "first") // taken by the writer, which then waits for the connection
	testkit.WaitFor(t, 5*time.Second, testkit.Says("the writer waiting for the connection"), func() bool { return db.Write.Stats().WaitCount > 0 })
	bad := testEvent("bad", "", 0)
	bad.Message.Subject = "" // rejected by forward.Enqueue, after the claim ran
	for i := range 9 {
		if i == 4 {
			go decide(bad, "bad")
			continue
		}
		go decide(testEvent(fmt.Sprint(i), "", 0), fmt.Sprint(i))
	}
	testkit.WaitFor(t, 5*time.Second, testkit.Says("9 events queued"), func() bool { return len(w.reqs) >= 9 })
	conn.Close()
	for range 10 {
		r := <-results
		if r.id == "bad" {
			if !errors.Is(r.err, forward.ErrInvalidMessage) {
				t.Errorf("bad event: Decide = %v, %v; want forward.ErrInvalidMessage (the message itself is invalid)", r.o, r.err)
			}
			continue
		}
		if r.err != nil || r.o != webhook.Accepted {
			t.Errorf("event %s: Decide = %v, %v; want accepted", r.id, r.o, r.err)
		}
	}
	if n := count(t, db, "outbox"); n != 9 {
		t.Errorf("outbox rows = %d; want 9", n)
	}
	var n int
	if err := db.Read.QueryRow(`SELECT count(*) FROM processed_events WHERE key = 'p:bad'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("processed_events rows for the failed event = %d, %v; want 0", n, err)
	}
	// The failed event can be delivered again and is not a duplicate.
	bad.Message.Subject = "webhooks.p.t"
	if o, err := w.Decide(context.Background(), bad); err != nil || o != webhook.Accepted {
		t.Errorf("retry of the failed event = %v, %v; want accepted", o, err)
	}
}

func TestWriterClosed(t *testing.T) {
	w, db, _ := mustWriter(t)
	w.Close()
	if _, err := w.Decide(context.Background(), testEvent("late", "", 0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Decide after Close = %v; want ErrClosed", err)
	}
	if n := count(t, db, "processed_events"); n != 0 {
		t.Fatalf("processed_events rows = %d; want 0", n)
	}
}

// TestWriterCloseUnstarted: a failed Open closes a writer it never
// started; that must return, not panic on a nil channel or block.
func TestWriterCloseUnstarted(t *testing.T) {
	w := &Writer{}
	if err := w.Close(); err != nil {
		t.Fatalf("Close of an unstarted writer = %v; want nil", err)
	}
}

// TestWriterDecideGivesUpWhileQueued: a caller whose context has ended
// while the writer's queue is full gets ErrStorage with the context's
// error, and its event is not decided; the callers queued before it get
// their answers, and the event decided again later is new.
func TestWriterDecideGivesUpWhileQueued(t *testing.T) {
	db := mustOpen(t)
	g := newGatedCommit()
	w := &Writer{DB: db.Write, Outbox: &forward.Counter{}, MaxBatch: 1}
	w.testHookCommit = g.hook
	w.Start()
	t.Cleanup(func() { w.Close() })
	t.Cleanup(g.open) // before Close: the cleanups run last first

	oa, ea := decideBackground(w, testEvent("a", "", 0))
	<-g.reached // a's batch holds the writer in its commit
	ob, eb := decideBackground(w, testEvent("b", "", 0))
	for deadline := time.Now().Add(10 * time.Second); len(w.reqs) < cap(w.reqs); {
		if time.Now().After(deadline) {
			t.Fatal("b never reached the writer's queue")
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if o, err := w.Decide(ctx, testEvent("c", "", 0)); !errors.Is(err, ErrStorage) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Decide(c) with the queue full and its context ended = %v, %v; want ErrStorage wrapping context.Canceled", o, err)
	}

	g.release <- nil // a commits
	<-g.reached
	g.release <- nil // b commits
	for _, r := range []struct {
		id string
		o  <-chan webhook.Outcome
		e  <-chan error
	}{{"a", oa, ea}, {"b", ob, eb}} {
		if o, err := <-r.o, <-r.e; err != nil || o != webhook.Accepted {
			t.Fatalf("Decide(%s) = %v, %v; want accepted", r.id, o, err)
		}
	}
	if n := count(t, db, "processed_events"); n != 2 {
		t.Fatalf("processed_events = %d; want 2 (a and b, not c)", n)
	}
	g.open()
	if o, err := w.Decide(context.Background(), testEvent("c", "", 0)); err != nil || o != webhook.Accepted {
		t.Fatalf("Decide(c) again = %v, %v; want accepted", o, err)
	}
}

func BenchmarkWriterDecide(b *testing.B) {
	w, _, _ := mustWriter(b)
	var i atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprint(i.Add(1))
			if _, err := w.Decide(context.Background(), testEvent(id, "e"+id, 1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestWriterOutboxBound fills the outbox to its bound: the next new event
// is refused and leaves no trace, a duplicate is still answered, and room
// freed by the relay is used again.
func TestWriterOutboxBound(t *testing.T) {
	db := mustOpen(t)
	var outbox forward.Counter
	w := &Writer{DB: db.Write, Outbox: &outbox, MaxOutboxRows: 2, MaxOutboxBytes: 1 << 20}
	w.Start()
	defer w.Close()
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if o, err := w.Decide(ctx, testEvent(id, "", 0)); err != nil || o != webhook.Accepted {
			t.Fatalf("Decide(%s) = %v, %v; want accepted", id, o, err)
		}
	}
	if _, err := w.Decide(ctx, testEvent("c", "", 0)); !errors.Is(err, ErrOutboxFull) {
		t.Fatalf("Decide(c) past the bound = %v; want ErrOutboxFull", err)
	}
	if n := count(t, db, "processed_events"); n != 2 {
		t.Fatalf("processed_events = %d after a refused event; want 2", n)
	}
	if o, err := w.Decide(ctx, testEvent("a", "", 0)); err != nil || o != webhook.Duplicate {
		t.Fatalf("duplicate at the bound = %v, %v; want duplicate", o, err)
	}
	if rows, bytes := outbox.Load(); rows != 2 || bytes != int64(2*len(`{"id":"a"}`)) {
		t.Fatalf("outbox counted %d rows, %d bytes; want 2 rows, %d bytes", rows, bytes, 2*len(`{"id":"a"}`))
	}
	outbox.Remove(1, int64(len(`{"id":"a"}`))) // as the relay does
	if o, err := w.Decide(ctx, testEvent("c", "", 0)); err != nil || o != webhook.Accepted {
		t.Fatalf("Decide(c) after room was freed = %v, %v; want accepted", o, err)
	}

	// The byte bound counts too.
	w2 := &Writer{DB: db.Write, Outbox: &forward.Counter{}, MaxOutboxRows: 100, MaxOutboxBytes: 15}
	w2.Start()
	defer w2.Close()
	if o, err := w2.Decide(ctx, testEvent("d", "", 0)); err != nil || o != webhook.Accepted {
		t.Fatalf("Decide(d) = %v, %v; want accepted", o, err)
	}
	if _, err := w2.Decide(ctx, testEvent("e", "", 0)); !errors.Is(err, ErrOutboxFull) {
		t.Fatalf("Decide(e) past the byte bound = %v; want ErrOutboxFull", err)
	}
}

// TestInTransaction checks the probe the writer uses to notice that SQLite
// rolled a whole transaction back on its own.
func TestInTransaction(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if inTransaction(conn) {
		t.Fatal("inTransaction before BEGIN = true")
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !inTransaction(conn) {
		t.Fatal("inTransaction after BEGIN = false")
	}
	// What SQLite does by itself on some SQLITE_FULL or IOERR failures.
	if _, err := tx.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if inTransaction(conn) {
		t.Fatal("inTransaction after the transaction was rolled back = true")
	}
	tx.Rollback()
}
