package consume

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// fakeMsg is a jetstream.Msg that records what was done with it into its
// log (shared by the messages of a test).
type fakeMsg struct {
	subject string
	header  nats.Header
	meta    jetstream.MsgMetadata
	log     *actions
}

type actions struct {
	mu   sync.Mutex
	list []string
}

func (a *actions) add(s string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = append(a.list, s)
}

func (a *actions) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.list, " ")
}

func (m *fakeMsg) name() string                              { return m.header.Get(headerEventID) }
func (m *fakeMsg) Metadata() (*jetstream.MsgMetadata, error) { meta := m.meta; return &meta, nil }
func (m *fakeMsg) Data() []byte                              { return nil }
func (m *fakeMsg) Headers() nats.Header                      { return m.header }
func (m *fakeMsg) Subject() string                           { return m.subject }
func (m *fakeMsg) Reply() string                             { return "" }
func (m *fakeMsg) Ack() error                                { m.log.add("ack:" + m.name()); return nil }
func (m *fakeMsg) DoubleAck(context.Context) error           { return m.Ack() }
func (m *fakeMsg) Nak() error                                { m.log.add("nak:" + m.name()); return nil }
func (m *fakeMsg) NakWithDelay(time.Duration) error          { return m.Nak() }
func (m *fakeMsg) InProgress() error                         { m.log.add("wpi:" + m.name()); return nil }
func (m *fakeMsg) Term() error                               { m.log.add("term:" + m.name()); return nil }
func (m *fakeMsg) TermWithReason(string) error               { return m.Term() }
func (a *actions) msg(name, key string, seq uint64) *fakeMsg { return a.delivery(name, key, seq, 1) }
func (a *actions) internal(subject string, seq uint64) *fakeMsg {
	return a.delivery(subject, "", seq, 1)
}

func (a *actions) delivery(name, key string, seq, delivered uint64) *fakeMsg {
	h := nats.Header{headerEventID: {name}, headerProvider: {"p"}}
	if key != "" {
		h.Set(headerOrderingKey, key)
	}
	subject := "webhooks.p.x"
	if strings.HasPrefix(name, internalPrefix) {
		subject = name
	}
	return &fakeMsg{subject: subject, header: h, log: a, meta: jetstream.MsgMetadata{
		Sequence: jetstream.SequencePair{Stream: seq}, NumDelivered: delivered, Stream: "WEBHOOKS"}}
}

func testDispatcher(t *testing.T) *dispatcher {
	t.Helper()
	o, err := Options{Durable: "svc", Backoff: []time.Duration{time.Minute}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	s := &Subscription{opts: o, log: slog.New(slog.NewTextHandler(io.Discard, nil)), kick: make(chan struct{}, 1)}
	return newDispatcher(s)
}

// readyHeads names the heads of the ready keys, in order.
func (d *dispatcher) readyHeads() string {
	var names []string
	for _, q := range d.ready {
		names = append(names, q.items[0].msg.(*fakeMsg).name())
	}
	return strings.Join(names, " ")
}

// fetch takes msgs in as the fetcher hands them over.
func (d *dispatcher) fetch(msgs ...*fakeMsg) {
	for _, m := range msgs {
		d.s.held.Add(1)
		d.intake(m)
	}
}

// give hands the first ready head to a worker and returns it.
func (d *dispatcher) give() *item {
	it := d.ready[0].items[0]
	d.take()
	return it
}

func TestDispatcher(t *testing.T) {
	var a actions
	d := testDispatcher(t)
	d.fetch(a.msg("a1", "A", 1), a.msg("a2", "A", 2), a.internal("_hg.claim.x", 3), a.msg("b1", "B", 4), a.msg("f", "", 5))
	if got := d.readyHeads(); got != "a1 b1 f" {
		t.Fatalf("ready = %q; want a1 b1 f (a2 behind a1; the claim skipped)", got)
	}
	if got := a.String(); got != "ack:_hg.claim.x" {
		t.Errorf("actions = %q; want the internal message acknowledged", got)
	}
	a1, b1 := d.give(), d.give()
	d.fetch(a.delivery("a2", "A", 2, 2)) // delivered again while held
	if n := len(d.queues["p\x00A"].items); n != 2 {
		t.Errorf("key A holds %d messages after a second delivery of a2; want 2", n)
	}
	a1.tries, a1.outcome = 1, retry
	d.finish(a1)
	if got := d.readyHeads(); got != "f" {
		t.Fatalf("ready after a1 failed = %q; want f (A waits out a1's backoff)", got)
	}
	b1.outcome = finished
	d.finish(b1)
	d.fetch(a.delivery("b1", "B", 4, 2)) // its ack was lost
	if got := a.String(); got != "ack:_hg.claim.x ack:b1" {
		t.Errorf("actions = %q; want b1 acknowledged again, not queued", got)
	}
	d.wakeDue(time.Now().Add(2 * time.Minute))
	if got := d.readyHeads(); got != "f a1" {
		t.Fatalf("ready after a1's backoff = %q; want f a1", got)
	}
	d.inProgress()
	for _, want := range []string{"wpi:a1", "wpi:a2", "wpi:f"} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("actions = %q; want %s", a.String(), want)
		}
	}
	if got, want := d.s.held.Load(), int64(3); got != want {
		t.Errorf("held = %d; want %d", got, want)
	}
	if got, want := d.s.ready.Load(), int64(2); got != want {
		t.Errorf("ready count = %d; want %d", got, want)
	}
}

func TestDispatcherStop(t *testing.T) {
	var a actions
	d := testDispatcher(t)
	d.fetch(a.msg("a1", "A", 1), a.msg("b1", "B", 2), a.msg("a2", "A", 3), a.msg("c1", "C", 4))
	a1 := d.give()
	d.stop()
	d.fetch(a.msg("c2", "C", 5)) // from the last pull request
	if got := d.readyHeads() + a.String(); got != "" {
		t.Fatalf("after stop: ready %q, actions %q; want nothing before the fetcher ends", d.readyHeads(), a.String())
	}
	d.fetched = true
	d.nakIdle()
	if got, want := a.String(), "nak:b1 nak:c1 nak:c2"; got != want {
		t.Errorf("naks = %q; want %q (in stream order; a2 kept, a1 still running)", got, want)
	}
	a1.tries, a1.outcome = 1, retry
	d.finish(a1)
	if got, want := a.String(), "nak:b1 nak:c1 nak:c2 nak:a1 nak:a2"; got != want {
		t.Errorf("actions = %q; want %q", got, want)
	}
	if len(d.held) != 0 || len(d.queues) != 0 || d.s.held.Load() != 0 || d.busy != 0 {
		t.Errorf("after stop: %d held (%d counted), %d queues, %d busy; want none", len(d.held), d.s.held.Load(), len(d.queues), d.busy)
	}
}

// TestQueueInsert: a message delivered out of order goes in sequence order,
// but never before a head already started.
func TestQueueInsert(t *testing.T) {
	var a actions
	d := testDispatcher(t)
	d.fetch(a.msg("a5", "A", 5), a.msg("a3", "A", 3), a.msg("a7", "A", 7), a.msg("a6", "A", 6))
	q := d.queues["p\x00A"]
	names := func() string {
		var s []string
		for _, it := range q.items {
			s = append(s, it.msg.(*fakeMsg).name())
		}
		return strings.Join(s, " ")
	}
	if got := names(); got != "a3 a5 a6 a7" {
		t.Errorf("queue = %q; want a3 a5 a6 a7", got)
	}
	d.give()
	d.fetch(a.msg("a1", "A", 1))
	if got := names(); got != "a3 a1 a5 a6 a7" {
		t.Errorf("queue = %q; want a3 a1 a5 a6 a7 (a3 is running)", got)
	}
}

func TestRecentSet(t *testing.T) {
	r := newRecentSet(3)
	for seq := uint64(1); seq <= 5; seq++ {
		r.add(seq)
	}
	for seq, want := range map[uint64]bool{1: false, 2: false, 3: true, 4: true, 5: true} {
		if got := r.has(seq); got != want {
			t.Errorf("has(%d) = %v; want %v", seq, got, want)
		}
	}
}
