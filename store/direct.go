package store

import (
	"context"
	"database/sql"
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
// relay). The batch's claims and versions commit only after the stream
// acknowledged its events; what the stream does not acknowledge within
// Timeout goes to the outbox in the same transaction, as without a Stream.
// While the outbox holds rows, every accepted event goes there too, behind
// them, so that the stream's order stays the decisions' order; so do events
// with a body over 64 KiB.
//
// A crash between the acknowledgement and the commit leaves events on the
// stream without their claims. The commit records the stream sequence it
// covers (the mark); CatchUp reads the stream after the mark and records
// the claims and versions of what it finds, before the writer takes events
// again.
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
// after the mark (see Stream), and moves the mark to the stream's end. The
// gateway calls it before it takes events; the writer calls it again after
// a commit that failed after a direct publish. It does nothing without a
// Stream.
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
	err = tx.QueryRowContext(ctx, `SELECT seq FROM stream_mark WHERE id = 1`).Scan(&mark)
	if errors.Is(err, sql.ErrNoRows) {
		// No publish was ever recorded (a new database, or one from
		// before publishing before the commit): nothing of the stream
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
	last, err := w.Stream.Since(ctx, mark, func(_ uint64, m forward.Message) error {
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
			_, err := ordering.Apply(ctx, tx, ev.Entity, ev.Version, ev.VersionKind, false, now, ev.TTL)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: catch up from stream sequence %d: %w", mark, err)
	}
	if err := setMark(ctx, tx, last); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%w: catch up: %w", ErrStorage, err)
	}
	w.behind = false
	w.behindErr.Store(nil)
	return nil
}

// setMark records the stream sequence that the claims committed with it
// cover.
func setMark(ctx context.Context, tx *sql.Tx, seq uint64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO stream_mark (id, seq) VALUES (1, ?1)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq`, seq)
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

// publish sends the batch's accepted messages to the stream, in decision
// order, and enqueues in the outbox, on tx, those after the acknowledged
// prefix. It returns how many the stream acknowledged (their outbox room,
// reserved by decide, is given back) and how many were sent (those past
// the acknowledged ones may be on the stream all the same), and records
// the mark when any was acknowledged.
func (w *Writer) publish(ctx context.Context, tx *sql.Tx, out []forward.Message, now time.Time, room *batchRoom) (acked, sent int, err error) {
	if len(out) == 0 {
		return 0, 0, nil
	}
	timeout := w.Stream.Timeout
	if timeout <= 0 {
		timeout = publishTimeout
	}
	largest := 1
	for _, m := range out {
		largest = max(largest, len(m.Body))
	}
	// As the relay's batches: about forward.DefaultBatchBytes of bodies
	// in flight to NATS at a time, so that large events do not pile up
	// in the connection's buffers.
	window := max(1, min(len(out), forward.DefaultBatchBytes/largest))
	pctx, cancel := context.WithTimeout(ctx, timeout)
	res, perr := w.Stream.Publish.Publish(pctx, out, window)
	cancel()
	if w.Stream.Published != nil {
		w.Stream.Published(res)
	}
	acked, sent = res.Acked, max(res.Sent, res.Acked)
	for _, m := range out[acked:] {
		if err := forward.Enqueue(ctx, tx, m, now); err != nil {
			return acked, sent, fmt.Errorf("%w: %w", ErrStorage, err)
		}
	}
	for _, m := range out[:res.Acked] {
		room.give(1, len(m.Body))
	}
	if perr != nil && w.Stream.Fallback != nil {
		w.Stream.Fallback(len(out)-res.Acked, perr)
	}
	if res.Acked > res.Duplicates {
		// Seq is the newest acknowledged; duplicates alone name older
		// copies, which would move the mark back.
		return acked, sent, setMark(ctx, tx, res.Seq)
	}
	return acked, sent, nil
}

// catchUpNow runs CatchUp from the writer goroutine, bounded in time, and
// returns an error wrapping ErrStorage while the writer is still behind:
// then batches are refused (503), and one at least 5 s later tries again.
func (w *Writer) catchUpNow() error {
	w.commitHeld() // none while behind; CatchUp needs the connection it holds
	if p := w.behindErr.Load(); p != nil && time.Now().Before(w.catchUpAt) {
		return *p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.CatchUp(ctx); err != nil {
		err = fmt.Errorf("%w: events published before a failed commit are not recorded yet: %w", ErrStorage, err)
		w.behindErr.Store(&err)
		w.catchUpAt = time.Now().Add(5 * time.Second)
		return err
	}
	return nil
}
