package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/webhook"
)

// gate is a Publisher that holds the batches it is told to: of such a
// batch it publishes the first pass messages, then waits until the test
// lets it return (with what the stream acknowledged, and err). Other
// batches pass straight through.
type gate struct {
	forward.Publisher
	mu    sync.Mutex
	holds []*hold
}

type hold struct {
	pass    int
	held    chan struct{} // closed once the batch waits
	release chan error
}

// next makes the next batch wait after its first pass messages.
func (g *gate) next(pass int) *hold {
	h := &hold{pass: pass, held: make(chan struct{}), release: make(chan error, 1)}
	g.mu.Lock()
	g.holds = append(g.holds, h)
	g.mu.Unlock()
	return h
}

func (g *gate) Publish(ctx context.Context, msgs []forward.Message, window int) (forward.Result, error) {
	g.mu.Lock()
	var h *hold
	if len(g.holds) > 0 {
		h, g.holds = g.holds[0], g.holds[1:]
	}
	g.mu.Unlock()
	if h == nil {
		return g.Publisher.Publish(ctx, msgs, window)
	}
	res, err := g.Publisher.Publish(ctx, msgs[:min(h.pass, len(msgs))], window)
	if err != nil {
		return res, err
	}
	close(h.held)
	select {
	case err = <-h.release:
	case <-ctx.Done():
		err = ctx.Err()
	}
	return res, err
}

// waitCommitted waits until the writer committed the held batch: the
// undo of its event msgID is pending.
func waitCommitted(t *testing.T, db *DB, h *hold, msgID string) {
	t.Helper()
	select {
	case <-h.held:
	case <-time.After(10 * time.Second):
		t.Fatal("the batch was never published")
	}
	testkit.WaitFor(t, 10*time.Second, testkit.Says("the held batch's pending undo"), func() bool {
		var n int
		if err := db.Read.QueryRow(`SELECT count(*) FROM stream_mark, json_each(stream_mark.pending) AS e, json_each(e.value, '$.m') AS m
			WHERE m.value = ?`, msgID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	})
}

// snapshot copies what db has committed into a new directory: the disk
// as a crash at this moment leaves it.
func snapshot(t *testing.T, db *DB) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := db.Read.Exec(`VACUUM INTO ?`, filepath.Join(dir, File)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// decideAsync decides ev in the background; the answer comes on the
// channel.
func decideAsync(w *Writer, ev *webhook.Event) <-chan error {
	c := make(chan error, 1)
	go func() {
		_, err := w.Decide(context.Background(), ev)
		c <- err
	}()
	return c
}

// TestCatchUpUndoesLostPublishes crashes the writer after a batch's commit
// and before the stream stored its messages: one event of the batch is on
// the stream, the other is not. The restarted writer keeps the first (its
// retry is a duplicate) and undoes the second: its retry is accepted and
// its entity's version is the first's again, so that a version between
// them is accepted and an older one stale.
func TestCatchUpUndoesLostPublishes(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	g := &gate{Publisher: pub}
	e := newDirect(t, t.TempDir(), js, pub, nil)
	e.w.Stream.Publish = g
	decideAll(t, e.w, []decideStep{{ev: directEvent("a", "e1", 1), want: webhook.Accepted}})

	// b and c queue while x's batch waits, and make the next batch together.
	first := g.next(1)
	x := decideAsync(e.w, directEvent("x", "", 0))
	<-first.held
	b := decideAsync(e.w, directEvent("b", "e1", 3))
	testkit.WaitFor(t, 10*time.Second, testkit.Says("b queued"), func() bool { return len(e.w.reqs) == 1 })
	c := decideAsync(e.w, directEvent("c", "e1", 5))
	testkit.WaitFor(t, 10*time.Second, testkit.Says("c queued"), func() bool { return len(e.w.reqs) == 2 })
	second := g.next(1) // b's message only
	first.release <- nil
	if err := <-x; err != nil {
		t.Fatalf("x: %v", err)
	}
	waitCommitted(t, e.db, second, "p:c")
	dir := snapshot(t, e.db) // the crash
	second.release <- errors.New("the crash cut the publish")
	for _, c := range []<-chan error{b, c} {
		<-c // the crashed gateway's answers are never sent
	}

	r := newDirect(t, dir, js, pub, nil)
	if n := pendingEvents(t, r.db); n != 0 {
		t.Errorf("%d pending events after CatchUp; want 0", n)
	}
	decideAll(t, r.w, []decideStep{
		{ev: directEvent("v2", "e1", 2), want: webhook.Stale},    // older than b's 3: e1 was restored, not deleted
		{ev: directEvent("v4", "e1", 4), want: webhook.Accepted}, // newer than b's 3: c's 5 was undone
		{ev: directEvent("c", "e1", 5), want: webhook.Accepted},  // c's retry is new
		{ev: directEvent("b", "e1", 3), want: webhook.Duplicate}, // on the stream
		{ev: directEvent("a", "e1", 1), want: webhook.Duplicate},
	})
	if got, want := streamIDs(t, js), []string{"p:a", "p:x", "p:b", "p:v4", "p:c"}; !equal(got, want) {
		t.Errorf("stream = %v; want %v", got, want)
	}
}

// TestFallbackFailureUndoes: a batch the stream took only in part, whose
// fallback to the outbox then fails (the database is locked), fails its
// event; before the next batch the writer undoes that event's claim,
// version and archive record, so that the provider's retry is accepted
// and delivered whole, once.
func TestFallbackFailureUndoes(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	g := &gate{Publisher: pub}
	e := openDirect(t, t.TempDir(), js, pub, nil, Options{BusyTimeout: 100 * time.Millisecond}, func(w *Writer) {
		w.Archive = true
		w.Stream.Publish = g
	})
	event := func(id, entity string, version int64) *webhook.Event { // with what the archive records
		ev := directEvent(id, entity, version)
		ev.Provider, ev.ID = "p", id
		return ev
	}
	withCopy := func() *webhook.Event {
		ev := event("b", "e1", 2)
		cp := ev.Message
		cp.ID, cp.Subject = "p:b#audit", "webhooks.audit.t"
		ev.Copies = []forward.Message{cp}
		return ev
	}
	decideAll(t, e.w, []decideStep{{ev: event("a", "e1", 1), want: webhook.Accepted}})

	h := g.next(1) // the copy only
	b := decideAsync(e.w, withCopy())
	waitCommitted(t, e.db, h, "p:b")
	lock, err := e.db.Read.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	h.release <- errors.New("NATS went away")
	if err := <-b; !errors.Is(err, ErrStorage) {
		t.Fatalf("Decide(b) with the fallback locked out = %v; want ErrStorage", err)
	}
	if _, err := lock.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	lock.Close()

	decideAll(t, e.w, []decideStep{
		{ev: withCopy(), want: webhook.Accepted}, // the retry
		{ev: event("a", "e1", 1), want: webhook.Duplicate},
		{ev: event("b", "e1", 2), want: webhook.Duplicate},
	})
	if got, want := streamIDs(t, js), []string{"p:a", "p:b#audit", "p:b"}; !equal(got, want) {
		t.Errorf("stream = %v; want %v (the retry's copy dropped as a duplicate)", got, want)
	}
	if ids := outboxIDs(t, e.db); len(ids) != 0 {
		t.Errorf("outbox = %v; want empty", ids)
	}
	var archived int
	if err := e.db.Read.QueryRow(`SELECT count(*) FROM archive WHERE msg_id = 'p:b'`).Scan(&archived); err != nil || archived != 1 {
		t.Errorf("archive records of b = %d, %v; want 1 (the failed decision's undone)", archived, err)
	}
}

// pendingEvents counts the events of the pending batch.
func pendingEvents(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRow(`SELECT coalesce((SELECT json_array_length(pending) FROM stream_mark), 0)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
