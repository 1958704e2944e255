package consume

import (
	"cmp"
	"container/heap"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// item is a message the Subscription holds. Its fields are the
// dispatcher's, except while a worker has it (between the send on s.work
// and the receive on s.results), when they are that worker's.
type item struct {
	msg     jetstream.Msg
	meta    *jetstream.MsgMetadata
	seq     uint64
	key     string    // its queue's key
	base    int       // calls of the handler before this delivery (NumDelivered-1)
	tries   int       // calls (or refusals) in this delivery
	readyAt time.Time // when it may be tried again after a failure
	err     error     // the last failure
	dead    *deadLetter
	outcome outcome
}

// outcome is what a worker did with an item.
type outcome int

const (
	finished    outcome = iota // acknowledged, or dead-lettered and terminated
	retry                      // the handler failed: try again after a backoff
	retryDead                  // the dead-letter publish failed: publish again after a backoff
	duplicate                  // (not a worker's) a delivery of a message already held
	unreadable                 // (not a worker's) a message without JetStream metadata
	internalMsg                // (not a worker's) a message on an internal subject
)

// queue holds the messages of one ordering key in stream order. The head is
// the one being handled or to be handled next; the others wait for it.
type queue struct {
	key     string
	items   []*item
	busy    bool // a worker has the head
	inReady bool // the key is in dispatcher.ready
}

// wake is a queue's head waiting out a backoff until at.
type wake struct {
	at  time.Time
	key string
	seq uint64
}

type wakes []wake

func (w wakes) Len() int           { return len(w) }
func (w wakes) Less(i, j int) bool { return w[i].at.Before(w[j].at) }
func (w wakes) Swap(i, j int)      { w[i], w[j] = w[j], w[i] }
func (w *wakes) Push(x any)        { *w = append(*w, x.(wake)) }
func (w *wakes) Pop() any {
	old := *w
	x := old[len(old)-1]
	*w = old[:len(old)-1]
	return x
}

// dispatcher is the state of the dispatch goroutine: the messages held, by
// ordering key. Nothing else touches it.
type dispatcher struct {
	s        *Subscription
	queues   map[string]*queue
	held     map[uint64]*item // by stream sequence
	ready    []*queue         // keys whose head may be handled, oldest first
	wakes    wakes
	armed    time.Time // when timer fires; zero: stopped
	busy     int       // items the workers have
	stopping bool      // Stop was called
	fetched  bool      // the fetcher has ended
	recent   recentSet // sequences acknowledged lately
}

// dispatch is the dispatcher's loop. It gives the heads of ready keys to
// the workers, takes fetched messages into their keys' queues and the
// workers' outcomes, wakes the keys whose backoff ended, and tells the
// server every AckWait/3 that it still holds its messages. After Stop it
// naks what no worker has once the fetcher has ended, and ends (closing
// s.work) when the workers have handed back every item.
func (s *Subscription) dispatch() {
	d := newDispatcher(s)
	progress := time.NewTicker(s.opts.AckWait / 3)
	defer progress.Stop()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	in, stopping := s.in, s.stopping
	for in != nil || d.busy > 0 {
		var work chan *item
		var next *item
		if len(d.ready) > 0 && !d.stopping {
			work, next = s.work, d.ready[0].items[0]
		}
		d.arm(timer)
		select {
		case work <- next:
			d.take()
		case m, ok := <-in:
			if !ok {
				in, d.fetched = nil, true
				// The fetcher ends at a stop, which the select may not
				// have taken yet: take it now, before handing out more.
				select {
				case <-stopping:
					stopping = nil
					d.stopping = true
				default:
				}
				if d.stopping {
					d.stop()
				}
				continue
			}
			d.intake(m)
		case it := <-s.results:
			d.finish(it)
		case <-timer.C:
			d.armed = time.Time{}
			d.wakeDue(time.Now())
		case <-progress.C:
			d.inProgress()
		case <-stopping:
			stopping = nil
			d.stop()
		}
	}
	close(s.work)
}

func newDispatcher(s *Subscription) *dispatcher {
	return &dispatcher{s: s, queues: map[string]*queue{}, held: map[uint64]*item{}, recent: newRecentSet(2 * s.opts.MaxAckPending)}
}

// arm sets timer for the earliest backoff.
func (d *dispatcher) arm(timer *time.Timer) {
	if len(d.wakes) == 0 || d.wakes[0].at.Equal(d.armed) {
		return
	}
	d.armed = d.wakes[0].at
	timer.Reset(time.Until(d.armed))
}

// take gives the head of the first ready key to a worker.
func (d *dispatcher) take() {
	q := d.ready[0]
	d.ready = d.ready[1:]
	q.inReady, q.busy = false, true
	d.busy++
	d.s.ready.Add(-1)
	d.s.signal()
}

// markReady puts q in the ready list, if its head may be handled now.
func (d *dispatcher) markReady(q *queue, now time.Time) {
	if q.busy || q.inReady || len(q.items) == 0 || q.items[0].readyAt.After(now) || d.stopping {
		return
	}
	q.inReady = true
	d.ready = append(d.ready, q)
	d.s.ready.Add(1)
}

// intake takes a fetched message into its key's queue, in stream order.
func (d *dispatcher) intake(m jetstream.Msg) {
	meta, err := m.Metadata()
	switch {
	case err != nil:
		d.release(&item{msg: m, outcome: unreadable, err: err})
		return
	case strings.HasPrefix(m.Subject(), internalPrefix):
		d.release(&item{msg: m, meta: meta, seq: meta.Sequence.Stream, outcome: internalMsg})
		return
	}
	seq := meta.Sequence.Stream
	if _, held := d.held[seq]; held || d.recent.has(seq) {
		// Delivered again while held (the server did not hear from us
		// within AckWait: the one held is handled, and acks go by
		// sequence), or after it was acknowledged (the ack was lost).
		d.release(&item{msg: m, meta: meta, seq: seq, outcome: duplicate})
		return
	}
	it := &item{msg: m, meta: meta, seq: seq, base: int(meta.NumDelivered) - 1, key: orderingKey(m, seq)}
	d.held[seq] = it
	q := d.queues[it.key]
	if q == nil {
		q = &queue{key: it.key}
		d.queues[it.key] = q
	}
	q.insert(it)
	d.markReady(q, time.Now())
}

// insert adds it in sequence order, behind a head already started.
func (q *queue) insert(it *item) {
	lo := 0
	if len(q.items) > 0 && (q.busy || q.items[0].tries > 0 || q.items[0].dead != nil) {
		lo = 1
	}
	i := len(q.items)
	for i > lo && q.items[i-1].seq > it.seq {
		i--
	}
	q.items = slices.Insert(q.items, i, it)
}

// orderingKey is the queue key of a message: its provider and
// Hookgate-Ordering-Key, or a key of its own when it has none.
func orderingKey(m jetstream.Msg, seq uint64) string {
	h := m.Headers()
	if k := headerGet(h, headerOrderingKey); k != "" {
		return headerGet(h, headerProvider) + "\x00" + k
	}
	return "\x01" + strconv.FormatUint(seq, 10)
}

// release lets go of a message the dispatcher does not hold: a duplicate
// delivery (acknowledged if it was handled already), an internal one
// (acknowledged), an unreadable one (left to the server).
func (d *dispatcher) release(it *item) {
	d.letGo()
	switch it.outcome {
	case internalMsg:
		d.ack(it)
	case duplicate:
		if d.recent.has(it.seq) {
			d.ack(it)
		}
	case unreadable:
		d.s.log.Error("consume: message without JetStream metadata", "subject", it.msg.Subject(), "error", it.err)
	}
}

// letGo counts a message the Subscription no longer holds.
func (d *dispatcher) letGo() {
	d.s.held.Add(-1)
	d.s.signal()
}

// finish takes back an item from a worker.
func (d *dispatcher) finish(it *item) {
	d.busy--
	q := d.queues[it.key]
	q.busy = false
	now := time.Now()
	switch {
	case it.outcome == finished:
		d.recent.add(it.seq)
		d.remove(q, it)
		d.letGo()
	case d.stopping:
		// Naked with the rest of its key, head first (below, or by
		// nakIdle once the fetcher has ended).
	default: // retry, retryDead
		n := it.tries
		if it.outcome == retryDead {
			n = it.dead.failures
		}
		it.readyAt = now.Add(d.s.opts.backoff(n))
		heap.Push(&d.wakes, wake{at: it.readyAt, key: q.key, seq: it.seq})
	}
	if d.stopping && d.fetched {
		d.nakQueue(q)
		return
	}
	d.markReady(q, now)
}

// remove drops it, the head of q, from the dispatcher (and q, once empty).
func (d *dispatcher) remove(q *queue, it *item) {
	q.items = q.items[1:]
	delete(d.held, it.seq)
	if len(q.items) == 0 {
		delete(d.queues, q.key)
	}
}

// wakeDue puts back in the ready list the keys whose backoff has ended.
func (d *dispatcher) wakeDue(now time.Time) {
	for len(d.wakes) > 0 && !d.wakes[0].at.After(now) {
		w := heap.Pop(&d.wakes).(wake)
		if q := d.queues[w.key]; q != nil && len(q.items) > 0 && q.items[0].seq == w.seq {
			d.markReady(q, now)
		}
	}
}

// inProgress tells the server that every message held is still being
// worked on, so that it does not deliver them again.
func (d *dispatcher) inProgress() {
	for _, it := range d.held {
		if err := it.msg.InProgress(); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
			d.s.log.Debug("consume: in progress", "seq", it.seq, "error", err)
		}
	}
}

// stop stops handing out messages. What no worker has is naked once the
// fetcher has ended (nakIdle): a nak while its last pull request is still
// open on the server would have the server deliver the message to that
// request again, and the Subscription nak it again, as long as it lasts.
func (d *dispatcher) stop() {
	d.stopping = true
	d.s.ready.Add(-int64(len(d.ready)))
	for _, q := range d.ready {
		q.inReady = false
	}
	d.ready = nil
	if d.fetched {
		d.nakIdle()
	}
}

// nakIdle naks, in stream order, the messages of every key that no worker
// is handling. A key whose head a worker has keeps all its messages until
// the worker hands the head back (finish): naked before the head, the
// later ones would be delivered again before it, to another instance or
// after a restart, out of order.
func (d *dispatcher) nakIdle() {
	var naks []*item
	for key, q := range d.queues {
		if q.busy {
			continue
		}
		naks = append(naks, q.items...)
		q.items = nil
		delete(d.queues, key)
	}
	slices.SortFunc(naks, func(a, b *item) int { return cmp.Compare(a.seq, b.seq) })
	for _, it := range naks {
		delete(d.held, it.seq)
		d.nak(it)
	}
}

// nakQueue naks the messages of q, head first, and drops q.
func (d *dispatcher) nakQueue(q *queue) {
	for _, it := range q.items {
		delete(d.held, it.seq)
		d.nak(it)
	}
	q.items = nil
	delete(d.queues, q.key)
}

// nak gives a message back to the server, for another instance (or this
// one, later), and counts it let go.
func (d *dispatcher) nak(it *item) {
	d.letGo()
	if err := it.msg.Nak(); err != nil {
		d.s.log.Debug("consume: nak", "seq", it.seq, "error", err)
	}
}

// ack acknowledges a message the dispatcher lets go itself.
func (d *dispatcher) ack(it *item) {
	if err := it.msg.Ack(); err != nil {
		d.s.log.Debug("consume: ack", "seq", it.seq, "error", err)
	}
}

// recentSet remembers the last n sequences acknowledged, so that a message
// delivered again because its acknowledgement was lost is acknowledged
// again rather than handled twice.
type recentSet struct {
	seqs map[uint64]struct{}
	ring []uint64
	next int
}

func newRecentSet(n int) recentSet {
	return recentSet{seqs: make(map[uint64]struct{}, n), ring: make([]uint64, 0, n)}
}

func (r *recentSet) has(seq uint64) bool {
	_, ok := r.seqs[seq]
	return ok
}

func (r *recentSet) add(seq uint64) {
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, seq)
	} else {
		delete(r.seqs, r.ring[r.next])
		r.ring[r.next] = seq
		r.next = (r.next + 1) % len(r.ring)
	}
	r.seqs[seq] = struct{}{}
}
