package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/webhook"
)

// gatedCommit holds each batch's commit until the test releases it with
// the commit's error (nil: commit). Once the test ends, commits pass.
type gatedCommit struct {
	reached chan struct{}
	release chan error
	ended   chan struct{}
	open    func() // lets every commit pass from now on
}

func newGatedCommit() *gatedCommit {
	g := &gatedCommit{reached: make(chan struct{}, 1), release: make(chan error), ended: make(chan struct{})}
	g.open = sync.OnceFunc(func() { close(g.ended) })
	return g
}

// gate is newDirect with g holding its commits, opened for good when the
// test ends (before the writer's own cleanup closes it).
func gate(t *testing.T, js jetstream.JetStream, pub *forward.JetStreamPublisher, g *gatedCommit, configure ...func(*Writer)) *directEnv {
	e := newDirect(t, t.TempDir(), js, pub, nil, append(configure, func(w *Writer) { w.testHookCommit = g.hook })...)
	t.Cleanup(g.open)
	return e
}

func (g *gatedCommit) hook() error {
	select {
	case g.reached <- struct{}{}:
	case <-g.ended:
		return nil
	}
	select {
	case err := <-g.release:
		return err
	case <-g.ended:
		return nil
	}
}

// decideBackground decides ev and sends its outcome and error.
func decideBackground(w *Writer, ev *webhook.Event) (<-chan webhook.Outcome, <-chan error) {
	oc, ec := make(chan webhook.Outcome, 1), make(chan error, 1)
	go func() {
		o, err := w.Decide(context.Background(), ev)
		oc <- o
		ec <- err
	}()
	return oc, ec
}

// TestAnswerBeforeCommit: once the stream took every message of a batch,
// its callers have their answers while the commit is still held; a commit
// that then fails costs nothing: the writer reads the stream back before
// the next batch, so the event's retry is a duplicate and an older version
// of its entity stale, and the event is on the stream once.
func TestAnswerBeforeCommit(t *testing.T) {
	// The commit that fails: the batch's own (no commit delay), or the
	// held transaction's once the delay has passed.
	for _, c := range []struct {
		name  string
		delay time.Duration
	}{{"commit at once", -1}, {"commit delayed", 0}} {
		t.Run(c.name, func(t *testing.T) { answerBeforeCommit(t, c.delay) })
	}
}

func answerBeforeCommit(t *testing.T, delay time.Duration) {
	js, pub := startNATS(t, jetstream.StreamConfig{})
	g := newGatedCommit()
	e := gate(t, js, pub, g, func(w *Writer) { w.CommitDelay = delay })

	oc, ec := decideBackground(e.w, directEvent("a", "e1", 2))
	<-g.reached
	select {
	case o := <-oc:
		if err := <-ec; err != nil || o != webhook.Accepted {
			t.Fatalf("Decide(a) = %v, %v; want accepted", o, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Decide(a) waited for the held commit; the stream had its message")
	}
	if n := count(t, e.db, "processed_events"); n != 0 {
		t.Fatalf("%d claims before the commit; want 0", n)
	}
	g.release <- errors.New("the disk failed")

	// The next batches (CatchUp first) commit unhindered.
	g.open()
	decideAll(t, e.w, []decideStep{
		{ev: directEvent("a", "e1", 2), want: webhook.Duplicate},
		{ev: directEvent("b", "e1", 1), want: webhook.Stale},
	})
	if got, want := streamIDs(t, js), []string{"p:a"}; !equal(got, want) {
		t.Errorf("stream = %v; want %v", got, want)
	}
}

// TestAnswerAfterCommit: with the archive on (its records are in the
// database alone), or for an ordered event a route dropped (its version
// is not on the stream), the answer waits for the commit.
func TestAnswerAfterCommit(t *testing.T) {
	dropped := directEvent("d", "e1", 1)
	dropped.Drop = true
	archived := directEvent("a", "", 0)
	archived.Provider, archived.ID = "p", "a"
	for _, c := range []struct {
		name    string
		ev      *webhook.Event
		archive bool
	}{{"archive", archived, true}, {"dropped ordered event", dropped, false}} {
		t.Run(c.name, func(t *testing.T) {
			js, pub := startNATS(t, jetstream.StreamConfig{})
			g := newGatedCommit()
			e := gate(t, js, pub, g, func(w *Writer) { w.Archive = c.archive })
			oc, ec := decideBackground(e.w, c.ev)
			<-g.reached
			select {
			case o := <-oc:
				t.Fatalf("Decide answered %v before the commit; the stream does not hold all it decided", o)
			case <-time.After(200 * time.Millisecond):
			}
			g.release <- nil
			if o, err := <-oc, <-ec; err != nil || o != webhook.Accepted {
				t.Fatalf("Decide = %v, %v; want accepted", o, err)
			}
		})
	}
}
