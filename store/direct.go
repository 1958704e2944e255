package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hookgate/hookgate/dedupe"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/ordering"
	"github.com/hookgate/hookgate/webhook"
)

// Stream lets a Writer publish accepted events to the JetStream stream
// itself, so that an event's body is written once (to the stream) while
// NATS takes it, instead of twice (to the outbox, then to the stream by the
// relay). The writer publishes a batch while its transaction commits (the
// claims, the versions, and the batch's pending undo) and
// answers once both are done; what the stream does not acknowledge within
// Timeout goes to the outbox in a second transaction before the answer.
// While the outbox holds rows, every accepted event goes there too, behind
// them, so that the stream's order stays the decisions' order; so do events
// with a body over 64 KiB.
//
// The transaction after a batch replaces its pending undo and records the
// stream sequence it reached (the mark). A crash leaves two things to
// mend, which CatchUp does before the writer takes events again: events
// on the stream after the mark without their claims (the commit was
// lost), whose claims and versions it records; and pending events whose
// messages are not on the stream (the publish was lost), whose decisions
// it undoes, so that their retries are accepted.
type Stream struct {
	Publish forward.Publisher
	// Since calls fn for each message stored after seq, in stream order,
	// and returns the stream's last sequence (forward.ReadSince).
	Since func(ctx context.Context, seq uint64, fn func(seq uint64, m forward.Message) error) (uint64, error)
	// Reclaim returns the claim (Key, TTL, and BodyKey with
	// dedupe.body_hash) and, when ordered, the version
	// (Entity, Version) that a message read back stands for; false for a
	// message that is not a new event of this gateway (a replay, another
	// publisher's).
	Reclaim func(m forward.Message) (*webhook.Event, bool)
	// Timeout bounds the wait for a batch's acknowledgements (default 2s).
	Timeout time.Duration
	// Published, when set, is told what each batch's publish achieved.
	Published func(forward.Result)
	// Fallback, when set, is told how many messages of a batch went to the
	// outbox because the stream did not take them, and why.
	Fallback func(events int, err error)
}

// directMaxBody is the largest body published directly. A larger event
// goes through the outbox, and so does the rest of its batch: while its
// request waits for the stream, its body would be held twice
// (the request's buffer and the NATS server's cache), and an upload of
// many large events would take twice the memory.
const directMaxBody = 64 << 10

// publishTimeout is Stream.Timeout's default.
const publishTimeout = 2 * time.Second

// CatchUp records the claims and versions of the events on the stream
// after the mark, undoes the decisions of pending events whose messages
// are not there (see Stream), and moves the mark to the stream's end. The
// gateway calls it before it takes events; the writer calls it again after
// a commit or a fallback that failed after a direct publish. It does
// nothing without a Stream.
func (w *Writer) CatchUp(ctx context.Context) error {
	if w.Stream == nil {
		return nil
	}
	conn, err := w.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%w: catch up: %w", ErrStorage, err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%w: catch up: %w", ErrStorage, err)
	}
	defer tx.Rollback()
	var mark uint64
	var pending []byte
	err = tx.QueryRowContext(ctx, `SELECT seq, pending FROM stream_mark WHERE id = 1`).Scan(&mark, &pending)
	if errors.Is(err, sql.ErrNoRows) {
		// No publish was ever recorded (a new database, or one from
		// before the writer published itself): nothing of the stream
		// awaits a claim. Start from its end, without reading it.
		mark, err = math.MaxUint64, nil
	}
	if err != nil {
		return fmt.Errorf("%w: catch up: %w", ErrStorage, err)
	}
	now := time.Now()
	if w.Now != nil { // CatchUp may run before Start sets the default
		now = w.Now()
	}
	var undos []undo
	if pending != nil {
		if err := json.Unmarshal(pending, &undos); err != nil {
			return fmt.Errorf("%w: catch up: the pending batch: %w", ErrStorage, err)
		}
	}
	found := map[string]bool{} // the pending events' message IDs, true once read
	for _, u := range undos {
		for _, id := range u.Msgs {
			found[id] = false
		}
	}
	last, err := w.Stream.Since(ctx, mark, func(_ uint64, m forward.Message) error {
		if _, ok := found[m.ID]; ok {
			found[m.ID] = true
		}
		ev, ok := w.Stream.Reclaim(m)
		if !ok {
			return nil
		}
		if _, err := dedupe.Claim(ctx, tx, ev.Key, now, ev.TTL); err != nil {
			return err
		}
		if ev.BodyKey != "" {
			if _, err := dedupe.Claim(ctx, tx, ev.BodyKey, now, ev.TTL); err != nil {
				return err
			}
		}
		if ev.Ordered {
			_, err := ordering.Apply(ctx, tx, ev.Entity, ev.Version, false, now, ev.TTL)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: catch up from stream sequence %d: %w", mark, err)
	}
	// Then the pending events whose messages the stream did not store,
	// newest first, so that each entity gets back the version before the
	// oldest of them.
	for i := len(undos) - 1; i >= 0; i-- {
		if u := &undos[i]; !onStream(u, found) {
			if err := u.apply(ctx, tx); err != nil {
				return fmt.Errorf("%w: catch up: %w", ErrStorage, err)
			}
		}
	}
	if err := setMark(ctx, tx, last); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%w: catch up: %w", ErrStorage, err)
	}
	w.behind, w.unsettled = false, nil
	return nil
}

// onStream reports whether each of u's messages was read on the stream.
func onStream(u *undo, found map[string]bool) bool {
	for _, id := range u.Msgs {
		if !found[id] {
			return false
		}
	}
	return true
}

// setMark records the stream sequence that the claims committed with it
// cover, and that no batch is pending.
func setMark(ctx context.Context, tx *sql.Tx, seq uint64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO stream_mark (id, seq) VALUES (1, ?1)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, pending = NULL`, seq)
	if err != nil {
		return fmt.Errorf("%w: stream mark: %w", ErrStorage, err)
	}
	return nil
}

// direct reports whether this batch may publish its events itself: there
// is a Stream, nothing is left to catch up, no event of the batch is over
// directMaxBody, and the outbox is empty (an event must not pass events
// waiting there). The answer holds for the whole batch: a batch that
// switched half-way would put its later events in the outbox before the
// earlier ones that the stream then refuses.
func (w *Writer) direct(ctx context.Context, tx *sql.Tx, batch []*pending) (bool, error) {
	if w.Stream == nil || w.behind {
		return false, nil
	}
	for _, p := range batch {
		if len(p.ev.Message.Body) > directMaxBody {
			return false, nil // the whole batch: see directMaxBody
		}
	}
	var queued bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM outbox)`).Scan(&queued); err != nil {
		return false, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	return !queued, nil
}

// settleAfter is how long the writer waits for a next batch to settle
// the last one before it settles it in a transaction of its own.
const settleAfter = time.Second

// outgoing is what a batch publishes itself: the messages in decision
// order, the batch index of each message's event, and the undo of each
// event that has messages.
type outgoing struct {
	msgs   []forward.Message
	owners []int
	undos  []undo
}

func (o *outgoing) add(event int, msgs ...forward.Message) {
	for _, m := range msgs {
		o.msgs = append(o.msgs, m)
		o.owners = append(o.owners, event)
	}
}

// undo is what one event's decision changed, kept as its batch's pending
// (in stream_mark) until the stream stored its messages: CatchUp takes it
// back for an event whose messages are not on the stream, so that the
// provider's retry of it (which had no 2xx) is accepted again.
type undo struct {
	Msgs []string `json:"m"` // its messages' IDs, in order
	Keys []string `json:"k"` // its claims
	// Entity and Version are set when it applied its version; Prev is the
	// entry it replaced (nil: none).
	Entity   string          `json:"e,omitempty"`
	Version  int64           `json:"v,omitempty"`
	Prev     *ordering.Entry `json:"p,omitempty"`
	Archived string          `json:"a,omitempty"` // the message ID of its archive record
}

func (u *undo) with(msgs ...forward.Message) *undo {
	for _, m := range msgs {
		u.Msgs = append(u.Msgs, m.ID)
	}
	return u
}

// apply takes the event's decision back.
func (u *undo) apply(ctx context.Context, tx *sql.Tx) error {
	for _, k := range u.Keys {
		if err := dedupe.Release(ctx, tx, k); err != nil {
			return err
		}
	}
	if u.Entity != "" {
		if err := ordering.Restore(ctx, tx, u.Entity, u.Version, u.Prev); err != nil {
			return err
		}
	}
	if u.Archived != "" {
		return forward.Unarchive(ctx, tx, u.Archived)
	}
	return nil
}

// settlement is what the transaction after a directly published batch
// records: the newest sequence the stream stored for it (0: none), in
// place of its pending undo.
type settlement struct {
	mark uint64
}

// settle records on tx, in stream_mark, the last batch's settlement and
// pending, the undo of this batch (nil: none). The caller sets
// w.unsettled once tx commits.
func (w *Writer) settle(ctx context.Context, tx *sql.Tx, pending []byte) error {
	if w.unsettled == nil && pending == nil {
		return nil
	}
	var mark uint64
	if w.unsettled != nil {
		mark = w.unsettled.mark
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO stream_mark (id, seq, pending) VALUES (1, ?1, ?2)
		ON CONFLICT (id) DO UPDATE SET seq = iif(?1 > 0, ?1, seq), pending = ?2`, mark, pending)
	if err != nil {
		return fmt.Errorf("%w: stream mark: %w", ErrStorage, err)
	}
	return nil
}

// settleIdle settles the last batch in a transaction of its own, when no
// batch came to do it. A failure leaves it for the next.
func (w *Writer) settleIdle() {
	if w.unsettled == nil {
		return
	}
	ctx := context.Background()
	tx, err := w.DB.BeginTx(ctx, nil)
	if err != nil {
		return
	}
	defer tx.Rollback()
	if w.settle(ctx, tx, nil) == nil && tx.Commit() == nil {
		w.unsettled = nil
	}
}

// publishCommit publishes the batch's messages to the stream while its
// transaction commits, and returns once both are done: the commit of the
// claims and versions does not wait for the stream's acknowledgements
// (nor they for its fsync). The transaction records each event's undo as
// pending; the next transaction replaces it and records the mark
// (settle). What the stream did not acknowledge goes to the outbox, and
// the batch is settled, in a second transaction before the answer.
//
// A crash before the commit leaves messages on the stream without their
// claims, which CatchUp records; a crash after it leaves claims whose
// messages may not be on the stream, which CatchUp undoes (an event counts
// as on the stream when each of its messages is there after the mark; one
// that the stream acknowledged as a duplicate of a copy stored before the
// mark is undone too, and its retry is dropped by the stream's duplicate
// window).
func (w *Writer) publishCommit(ctx context.Context, conn *sql.Conn, tx *sql.Tx, results []decision, room *batchRoom, out *outgoing, now time.Time) ([]decision, *batchRoom, error) {
	pending, err := json.Marshal(out.undos)
	if err != nil {
		return nil, nil, err
	}
	if err := w.settle(ctx, tx, pending); err != nil {
		return nil, nil, err
	}
	type published struct {
		res forward.Result
		err error
	}
	done := make(chan published, 1)
	go func() {
		r, err := w.publish(ctx, out.msgs)
		done <- published{r, err}
	}()
	cerr := tx.Commit()
	p := <-done
	if w.Stream.Published != nil {
		w.Stream.Published(p.res)
	}
	acked := p.res.Acked
	if cerr != nil {
		// What the stream took has no claim: CatchUp reads it back first.
		w.behind = w.behind || acked > 0
		return nil, nil, cerr
	}
	w.unsettled = &settlement{}
	if acked > p.res.Duplicates {
		// Seq is the newest acknowledged; duplicates alone name older
		// copies, which would move the mark back.
		w.unsettled.mark = p.res.Seq
	}
	for _, m := range out.msgs[:acked] {
		room.give(1, len(m.Body))
	}
	if acked == len(out.msgs) {
		return results, room, nil
	}
	rest := out.msgs[acked:]
	if err := w.fallback(ctx, conn, rest, now); err != nil {
		// Nothing of the rest is durable: their events fail (the
		// provider retries them), and CatchUp, before the next batch,
		// undoes their decisions.
		err = fmt.Errorf("%w: %w", ErrStorage, err)
		w.behind, w.behindErr = true, err
		w.lastErr.Store(&err)
		for k, m := range rest {
			room.give(1, len(m.Body))
			results[out.owners[acked+k]] = decision{err: err}
		}
		return results, room, nil
	}
	w.unsettled = nil
	if w.Stream.Fallback != nil {
		w.Stream.Fallback(len(rest), p.err)
	}
	return results, room, nil
}

// publish sends msgs to the stream, in order, and returns what it
// acknowledged (a prefix), within Stream.Timeout.
func (w *Writer) publish(ctx context.Context, msgs []forward.Message) (forward.Result, error) {
	timeout := w.Stream.Timeout
	if timeout <= 0 {
		timeout = publishTimeout
	}
	largest := 1
	for _, m := range msgs {
		largest = max(largest, len(m.Body))
	}
	// As the relay's batches: about forward.DefaultBatchBytes of bodies
	// in flight to NATS at a time, so that large events do not pile up
	// in the connection's buffers.
	window := max(1, min(len(msgs), forward.DefaultBatchBytes/largest))
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return w.Stream.Publish.Publish(ctx, msgs, window)
}

// fallback enqueues in the outbox what the stream did not take of a
// committed batch, and settles it, in one transaction.
func (w *Writer) fallback(ctx context.Context, conn *sql.Conn, rest []forward.Message, now time.Time) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, m := range rest {
		if err := forward.Enqueue(ctx, tx, m, now); err != nil {
			return err
		}
	}
	if err := w.settle(ctx, tx, nil); err != nil {
		return err
	}
	return tx.Commit()
}

// catchUpNow runs CatchUp from the writer goroutine, bounded in time, and
// returns an error wrapping ErrStorage while the writer is still behind:
// then batches are refused (503), and one at least 5 s later tries again.
func (w *Writer) catchUpNow() error {
	if time.Now().Before(w.catchUpAt) {
		return w.behindErr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.CatchUp(ctx); err != nil {
		w.behindErr = fmt.Errorf("%w: events published before a failed commit are not recorded yet: %w", ErrStorage, err)
		w.lastErr.Store(&w.behindErr)
		w.catchUpAt = time.Now().Add(5 * time.Second)
		return w.behindErr
	}
	return nil
}
