package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/webhook"
)

// countCommits has w count its commits in n.
func countCommits(n *atomic.Int64) func(*Writer) {
	return func(w *Writer) {
		w.testHookCommit = func() error { n.Add(1); return nil }
	}
}

// TestCommitDelayHolds: batches the stream took whole are answered while
// their transaction stays open for the next ones; a batch whose answer
// must wait for its commit commits them all, in one commit.
func TestCommitDelayHolds(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	var commits atomic.Int64
	e := newDirect(t, t.TempDir(), js, pub, nil, countCommits(&commits), func(w *Writer) { w.CommitDelay = time.Hour })
	decideAll(t, e.w, []decideStep{
		{ev: directEvent("a", "e1", 1), want: webhook.Accepted},
		{ev: directEvent("b", "e2", 1), want: webhook.Accepted},
		{ev: directEvent("a", "e1", 1), want: webhook.Duplicate}, // the held transaction's claim counts
	})
	if n, c := count(t, e.db, "processed_events"), commits.Load(); n != 0 || c != 0 {
		t.Fatalf("after three batches answered before their commit: %d claims committed in %d commits; want none yet", n, c)
	}
	dropped := directEvent("d", "e3", 1)
	dropped.Drop = true // an ordered event a route dropped: its version is not on the stream
	decideAll(t, e.w, []decideStep{{ev: dropped, want: webhook.Accepted}})
	if n, c := count(t, e.db, "processed_events"), commits.Load(); n != 3 || c != 1 {
		t.Errorf("after a batch that waits for its commit: %d claims in %d commits; want 3 in 1", n, c)
	}
	if got, want := streamIDs(t, js), []string{"p:a", "p:b"}; !equal(got, want) {
		t.Errorf("stream = %v; want %v", got, want)
	}
}

// TestCommitDelayEnds: a held transaction commits once CommitDelay has
// passed, with no batch after it, and not before.
func TestCommitDelayEnds(t *testing.T) {
	const delay = 200 * time.Millisecond
	js, pub := startNATS(t, jetstream.StreamConfig{})
	var commits atomic.Int64
	var committedAt atomic.Pointer[time.Time]
	e := newDirect(t, t.TempDir(), js, pub, nil, func(w *Writer) {
		w.CommitDelay = delay
		w.testHookCommit = func() error {
			now := time.Now()
			committedAt.CompareAndSwap(nil, &now)
			commits.Add(1)
			return nil
		}
	})
	started := time.Now()
	decideAll(t, e.w, []decideStep{{ev: directEvent("a", "e1", 1), want: webhook.Accepted}})
	deadline := time.Now().Add(10 * time.Second)
	for count(t, e.db, "processed_events") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the held claim was not committed within 10 s (%d commits)", commits.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if c := commits.Load(); c != 1 {
		t.Errorf("%d commits; want 1", c)
	}
	if at := committedAt.Load(); at == nil {
		t.Error("the commit hook never ran")
	} else if at.Sub(started) < delay {
		t.Errorf("committed %v after the batch began; want CommitDelay, %v, at least", at.Sub(started), delay)
	}
}

// TestCommitDelayEventFails: an event that fails in a transaction holding
// answered batches undoes its own batch alone (a savepoint): the held
// decisions stay, so the answered event's retry is still a duplicate
// without the stream being read again, and the failing event's batch is
// decided event by event as always.
func TestCommitDelayEventFails(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	var reads atomic.Int64
	e := newDirect(t, t.TempDir(), js, pub, nil, func(w *Writer) {
		w.CommitDelay = time.Hour
		since := w.Stream.Since
		w.Stream.Since = func(ctx context.Context, seq uint64, fn func(uint64, forward.Message) error) (uint64, error) {
			reads.Add(1)
			return since(ctx, seq, fn)
		}
	})
	decideAll(t, e.w, []decideStep{{ev: directEvent("a", "e1", 2), want: webhook.Accepted}})
	bad := directEvent("x", "", 0)
	bad.Message.Subject = "webhooks.p.bad subject"
	if o, err := e.w.Decide(t.Context(), bad); !errors.Is(err, forward.ErrInvalidMessage) {
		t.Fatalf("Decide(an invalid message) = %v, %v; want ErrInvalidMessage", o, err)
	}
	decideAll(t, e.w, []decideStep{
		{ev: directEvent("a", "e1", 2), want: webhook.Duplicate},
		{ev: directEvent("b", "e1", 1), want: webhook.Stale},
		{ev: directEvent("c", "e1", 3), want: webhook.Accepted},
	})
	if got, want := streamIDs(t, js), []string{"p:a", "p:c"}; !equal(got, want) {
		t.Errorf("stream = %v; want %v", got, want)
	}
	if n := reads.Load(); n != 1 {
		t.Errorf("the stream was read back %d times; want once, at start", n)
	}
}

// TestCommitDelayOff: with a negative CommitDelay each batch commits at
// once, answered before its commit or not.
func TestCommitDelayOff(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	var commits atomic.Int64
	e := newDirect(t, t.TempDir(), js, pub, nil, countCommits(&commits), func(w *Writer) { w.CommitDelay = -1 })
	decideAll(t, e.w, []decideStep{
		{ev: directEvent("a", "e1", 1), want: webhook.Accepted},
		{ev: directEvent("b", "e2", 1), want: webhook.Accepted},
	})
	e.w.Close()
	if n, c := count(t, e.db, "processed_events"), commits.Load(); n != 2 || c != 2 {
		t.Errorf("%d claims in %d commits; want 2 in 2", n, c)
	}
}

// TestCommitDelayCommitFails: a batch that must wait for its commit
// commits the held batches with it; when that commit fails, its caller gets
// the error and nothing of it is kept, and the held batches' decisions,
// rolled back with it, are read back from the stream before the next
// decision.
func TestCommitDelayCommitFails(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	var fail atomic.Bool
	e := newDirect(t, t.TempDir(), js, pub, nil, func(w *Writer) {
		w.CommitDelay = time.Hour
		w.testHookCommit = func() error {
			if fail.Swap(false) {
				return errors.New("the disk failed")
			}
			return nil
		}
	})
	decideAll(t, e.w, []decideStep{{ev: directEvent("a", "e1", 2), want: webhook.Accepted}})
	dropped := directEvent("d", "e2", 1)
	dropped.Drop = true // its answer waits for the commit
	fail.Store(true)
	if o, err := e.w.Decide(t.Context(), dropped); !errors.Is(err, ErrStorage) {
		t.Fatalf("Decide(d) with its commit failing = %v, %v; want ErrStorage", o, err)
	}
	decideAll(t, e.w, []decideStep{
		{ev: directEvent("a", "e1", 2), want: webhook.Duplicate},
		{ev: directEvent("b", "e1", 1), want: webhook.Stale},
		{ev: dropped, want: webhook.Accepted}, // nothing of it was kept
	})
	if got, want := streamIDs(t, js), []string{"p:a"}; !equal(got, want) {
		t.Errorf("stream = %v; want %v", got, want)
	}
}

// TestSweepBetweenHeldTransactions: under a steady load of batches the
// stream takes whole, the writer gives its connection back between its
// held transactions, so the sweeper, which needs the same connection,
// still deletes everything expired while the load goes on.
func TestSweepBetweenHeldTransactions(t *testing.T) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	e := newDirect(t, t.TempDir(), js, pub, nil)
	const expired = 5000
	fill(t, e.db, expired)
	stop := make(chan struct{})
	var decided atomic.Int64
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := e.w.Decide(context.Background(), directEvent(fmt.Sprintf("load-%d-%d", c, i), "", 0)); err != nil {
					t.Error(err)
					return
				}
				decided.Add(1)
			}
		}()
	}
	for deadline := time.Now().Add(30 * time.Second); decided.Load() < 100; {
		if time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("the load decided %d events in 30 s", decided.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	n, err := Sweep(ctx, e.db.Write, time.Now(), time.Time{})
	close(stop)
	wg.Wait()
	if err != nil || n != 2*expired {
		t.Fatalf("Sweep under load = %d, %v; want the %d expired rows deleted", n, err, 2*expired)
	}
}
