package forward

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Relay defaults.
const (
	DefaultBatch        = 256
	DefaultBatchBytes   = 8 << 20
	DefaultWindow       = 256
	DefaultMinBackoff   = 100 * time.Millisecond
	DefaultMaxBackoff   = 5 * time.Second
	DefaultPollInterval = time.Second
	DefaultParkAfter    = 10
)

// deleteTimeout bounds the delete of acknowledged rows, which runs even
// while the relay is stopping.
const deleteTimeout = 5 * time.Second

// Relay publishes outbox rows in commit (seq) order and deletes each row
// once it is acknowledged.
//
// Each round fetches up to Batch rows (fewer if their bodies exceed
// BatchBytes), publishes them with at most Window awaiting an ack, and
// deletes the acknowledged rows in one statement. On the first failed or
// timed-out ack it deletes only the acknowledged prefix before it, backs off
// (exponentially with jitter between MinBackoff and MaxBackoff) and starts
// the next round from the first unacknowledged row.
//
// No row blocks the ones after it for good. A failure that passes (the
// connection lost, an ack timeout, JetStream without a leader) is retried
// for as long as it lasts. A refusal (see [Refused]: a message larger than
// the server's max_payload or the stream's limits, a subject no stream
// covers, a stream deleted) is retried too, but once the same row has been
// refused ParkAfter times in a row it is moved to the parked table (see
// [Parked], [ParkedRows], [Unpark]), logged once at error level with a
// bounded line, and the relay goes on with the rows after it. A publish
// that no stream answered is a refusal only once the publisher, asked then
// ([StreamFinder]), says that no stream covers the subject: a stream that
// does may not answer for a while (the only server of an R1 stream
// restarting, a leader moving), and its rows must not be parked for it. A
// stream found, a lookup that fails, or a publisher that cannot look up
// make it a failure that passes.
//
// Ordering: messages reach the stream in seq order when failures are
// connection losses or lost acks (later messages of the failed round that
// the stream had already stored are dropped as duplicates on republish,
// thanks to Nats-Msg-Id). A message the server rejects on its own while it
// accepts the ones after it (e.g. a stream limit with the discard-new
// policy) is stored after them on retry; Window 1 rules that out, at the
// cost of throughput. A parked row is out of order by design: the rows
// after it are published first, and it is published when it is sent again.
//
// Set the fields, then call Start once; do not change them afterwards.
// Notify, Flush, Stats and Close are safe for concurrent use. Close must be
// called to stop the goroutine that Start starts.
type Relay struct {
	// DB receives the deletes (the gateway's writer pool). Required.
	DB *sql.DB
	// ReadDB, if set, receives the reads; otherwise DB does.
	ReadDB *sql.DB
	// Publish sends the messages. Required.
	Publish Publisher

	// Batch is the number of rows fetched per round (default 256).
	Batch int
	// BatchBytes stops a fetch once the bodies read reach it (default
	// 8 MiB); a round has at least one row.
	BatchBytes int
	// Window is the number of publishes awaiting an ack (default 256).
	Window int
	// MinBackoff and MaxBackoff bound the wait after a failed round
	// (defaults 100ms and 5s).
	MinBackoff, MaxBackoff time.Duration
	// PollInterval is the fallback poll when Notify is not called
	// (default 1s).
	PollInterval time.Duration
	// ParkAfter is how many refusals in a row park a row (default 10; see
	// the type's doc comment).
	ParkAfter int
	// Logger receives failures and recoveries (default: discarded).
	Logger *slog.Logger
	// Now returns the current time (default time.Now); used for Stats.Lag.
	Now func() time.Time
	// Counter, when set, is told of the rows that leave the outbox
	// (acknowledged and deleted, or parked); when it drifted below zero
	// (rows added by another process) the relay resyncs it from the table.
	Counter *Counter

	initOnce sync.Once
	wake     chan struct{}
	ctx      context.Context // canceled by Close
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu      sync.Mutex // serializes rounds
	started bool       // guarded by mu
	closed  bool       // guarded by mu
	msgs    []Message  // reused by rounds, guarded by mu
	rows    []row      // reused by rounds, guarded by mu
	// refusedSeq is the row the server refused last, refusedTimes how many
	// times in a row; guarded by mu.
	refusedSeq   int64
	refusedTimes int

	published  atomic.Uint64
	duplicates atomic.Uint64
	failures   atomic.Uint64
	parked     atomic.Uint64
	lag        atomic.Int64
}

// RelayStats are counters since the relay was created.
type RelayStats struct {
	// Published counts acknowledged messages (duplicates included).
	Published uint64
	// Duplicates counts acks that reported a duplicate.
	Duplicates uint64
	// Failures counts failed rounds (each followed by a backoff).
	Failures uint64
	// Parked counts rows moved to the parked table.
	Parked uint64
	// Lag is the time from Enqueue to ack of the last acknowledged message.
	Lag time.Duration
}

// Stats returns the relay's counters.
func (r *Relay) Stats() RelayStats {
	return RelayStats{
		Published:  r.published.Load(),
		Duplicates: r.duplicates.Load(),
		Failures:   r.failures.Load(),
		Parked:     r.parked.Load(),
		Lag:        time.Duration(r.lag.Load()),
	}
}

// Count adds to the relay's counters what was published outside it (the
// store's writer publishing accepted events itself), so that Stats counts
// every message the gateway published.
func (r *Relay) Count(res Result) {
	r.published.Add(uint64(res.Acked))
	r.duplicates.Add(uint64(res.Duplicates))
}

func (r *Relay) init() {
	r.initOnce.Do(func() {
		r.wake = make(chan struct{}, 1)
		r.ctx, r.cancel = context.WithCancel(context.Background())
	})
}

// Start starts the relay's goroutine, which runs until Close. It panics if
// DB or Publish is nil, or if the relay was already started or closed.
func (r *Relay) Start() {
	if r.DB == nil || r.Publish == nil {
		panic("forward: Relay needs DB and Publish")
	}
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.closed {
		panic("forward: Relay started twice or after Close")
	}
	r.started = true
	r.wg.Add(1)
	go r.loop()
}

// Notify wakes the relay after the gateway committed new rows. It never
// blocks; wake-ups during a round are coalesced into one more round.
func (r *Relay) Notify() {
	r.init()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Close stops the relay and waits for its goroutine. A publish in progress
// is abandoned; the rows acknowledged so far are deleted, and the others
// stay in the outbox for the next start. Close returns nil and may be
// called more than once.
func (r *Relay) Close() error {
	r.init()
	r.cancel() // a round in progress returns promptly
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.wg.Wait()
	return nil
}

// Flush publishes until the outbox is empty, retrying with backoff on
// failures. It returns nil once a round found no rows, an error wrapping
// ctx.Err() (and naming the last failure) when ctx ends first, or
// [ErrClosed] if the relay is or gets closed. It can be used with or
// without Start, e.g. at shutdown before Close.
func (r *Relay) Flush(ctx context.Context) error {
	if r.DB == nil || r.Publish == nil {
		return errors.New("forward: Relay needs DB and Publish")
	}
	r.init()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(r.ctx, cancel)
	defer stop()

	var lastErr error
	for attempt := 0; ; {
		n, _, err := r.round(ctx)
		if errors.Is(err, ErrClosed) || r.ctx.Err() != nil {
			return ErrClosed
		}
		if err == nil {
			if n == 0 {
				return nil
			}
			attempt = 0
			continue
		}
		if lastErr == nil || ctx.Err() == nil {
			lastErr = err // keep the real failure, not the deadline that cut a round short
		}
		if ctx.Err() == nil {
			attempt++
			if sleep(ctx, r.backoff(attempt)) {
				continue
			}
		}
		if r.ctx.Err() != nil {
			return ErrClosed
		}
		return fmt.Errorf("forward: flush interrupted (last error: %v): %w", lastErr, ctx.Err())
	}
}

func (r *Relay) loop() {
	defer r.wg.Done()
	log := r.logger()
	poll := time.NewTimer(r.pollInterval())
	defer poll.Stop()
	attempt := 0
	for {
		n, more, err := r.round(r.ctx)
		if r.ctx.Err() != nil {
			return
		}
		if err != nil {
			attempt++
			d := r.backoff(attempt)
			log.Warn("forward: relay round failed", "err", clip(err.Error(), maxParkError), "published", n, "attempt", attempt, "retry_in", d)
			if !sleep(r.ctx, d) {
				return
			}
			continue
		}
		if attempt > 0 {
			log.Info("forward: relay recovered", "failed_attempts", attempt)
			attempt = 0
		}
		if more {
			continue
		}
		poll.Reset(r.pollInterval())
		select {
		case <-r.ctx.Done():
			return
		case <-r.wake:
		case <-poll.C:
		}
	}
}

// round runs one fetch-publish-delete cycle. n is the number of rows
// fetched, more reports that the fetch stopped at a limit.
func (r *Relay) round(ctx context.Context) (n int, more bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, false, ErrClosed
	}
	more, err = r.fetch(ctx)
	if err != nil {
		return 0, false, err
	}
	n = len(r.msgs)
	if n == 0 {
		return 0, false, nil
	}
	res, pubErr := r.Publish.Publish(ctx, r.msgs, r.window())
	res.Acked = min(max(res.Acked, 0), n)
	if pubErr == nil && res.Acked < n {
		pubErr = fmt.Errorf("forward: publisher acknowledged %d of %d messages without an error", res.Acked, n)
	}
	if res.Acked > 0 {
		r.published.Add(uint64(res.Acked))
		r.duplicates.Add(uint64(res.Duplicates))
		r.lag.Store(int64(r.now().Sub(time.Unix(0, r.rows[res.Acked-1].createdAt))))
		// Delete even when ctx was canceled: these rows are stored.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deleteTimeout)
		del, delErr := r.DB.ExecContext(dctx, `DELETE FROM outbox WHERE seq BETWEEN ? AND ?`,
			r.rows[0].seq, r.rows[res.Acked-1].seq)
		cancel()
		var deleted int64
		if delErr == nil {
			deleted, delErr = del.RowsAffected()
		}
		switch {
		case delErr != nil:
			// The rows are published again next round and dropped as
			// duplicates by the stream.
			pubErr = errors.Join(pubErr, fmt.Errorf("forward: delete acknowledged rows: %w", delErr))
		case deleted != int64(res.Acked):
			// Some went meanwhile (a replay canceled), and were
			// counted out then: count again.
			r.recount(ctx)
		default:
			var size int64
			for _, m := range r.msgs[:res.Acked] {
				size += int64(len(m.Body))
			}
			r.left(ctx, res.Acked, size)
		}
	}
	parked := false
	if pubErr != nil && res.Acked < n && Refused(pubErr) {
		parked, pubErr = r.refused(ctx, res.Acked, pubErr)
	}
	// Drop references to the bodies until the next round.
	clear(r.msgs)
	if pubErr != nil {
		r.failures.Add(1)
		return res.Acked, false, pubErr
	}
	if parked {
		return res.Acked + 1, true, nil // go on at once with the rows after it
	}
	return n, more, nil
}

// refused counts a refusal of the row at index i of the round and parks it
// once it was refused ParkAfter times in a row. It reports whether the row
// was parked; the error is err, or the parking's own failure, or nil once
// the row is out of the way. A publish that no stream answered counts only
// once the publisher says that no stream covers the subject (see
// [Refused]); else err comes back, with what the lookup found, to be
// retried. It runs with r.mu held.
func (r *Relay) refused(ctx context.Context, i int, err error) (bool, error) {
	rw, m := r.rows[i], &r.msgs[i]
	if NoStreamAnswered(err) {
		var none bool
		if none, err = r.noStream(ctx, m.Subject, err); !none {
			return false, err
		}
	}
	if rw.seq != r.refusedSeq {
		r.refusedSeq, r.refusedTimes = rw.seq, 0
	}
	r.refusedTimes++
	after := r.ParkAfter
	if after <= 0 {
		after = DefaultParkAfter
	}
	if r.refusedTimes < after {
		return false, err
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deleteTimeout)
	moved, perr := park(pctx, r.DB, rw.seq, r.refusedTimes, err.Error(), r.now())
	cancel()
	if perr != nil {
		return false, errors.Join(err, perr)
	}
	r.refusedSeq, r.refusedTimes = 0, 0
	if !moved {
		return false, nil // gone meanwhile: the next round reads on
	}
	r.parked.Add(1)
	r.left(ctx, 1, int64(len(m.Body)))
	attrs := []any{"msg_id", clip(m.ID, 300), "seq", rw.seq, "subject", clip(m.Subject, 300), "size", m.Size(),
		"attempts", after, "err", clip(err.Error(), maxParkError)}
	if p, ok := r.Publish.(maxPayloader); ok && int64(m.Size()) > p.MaxPayload() {
		attrs = append(attrs, "max_payload", p.MaxPayload())
	}
	r.logger().Error("forward: relay: the NATS server refused a row again and again; it is parked and the rows after it go on. "+
		"Fix the cause (the server's or stream's limits, the stream's subjects), then send it again (hookgate replay -parked)", attrs...)
	return true, nil
}

// noStream looks up whether a stream covers subject, after err said that
// none answered on it. It reports whether the publisher positively says
// that none does (a refusal), and returns err saying what the lookup found:
// a stream that covers the subject (unavailable for now), or a lookup that
// failed or that the publisher cannot make (both retried, not counted).
func (r *Relay) noStream(ctx context.Context, subject string, err error) (bool, error) {
	f, ok := r.Publish.(StreamFinder)
	if !ok {
		return false, fmt.Errorf("%w (not counted as a refusal: the publisher cannot look up whether a stream covers %q)", err, subject)
	}
	name, lerr := f.FindStream(ctx, subject)
	switch {
	case errors.Is(lerr, ErrLookupDenied):
		// Whether a stream covers the subject cannot be told: counted,
		// as before lookups, so that a subject no stream covers does
		// not hold the outbox up for ever.
		return true, fmt.Errorf("%w (counted as a refusal: %v)", err, lerr)
	case lerr != nil:
		return false, fmt.Errorf("%w (not counted as a refusal: looking up the stream of %q failed: %v)", err, subject, lerr)
	case name != "":
		return false, fmt.Errorf("%w (stream %s covers %q but did not answer: unavailable for now, retried)", err, name, subject)
	}
	return true, fmt.Errorf("%w (no stream covers %q)", err, subject)
}

// left counts rows that left the outbox on the Counter, resyncing it when
// it drifted below zero.
func (r *Relay) left(ctx context.Context, rows int, bytes int64) {
	if r.Counter == nil || r.Counter.Remove(int64(rows), bytes) {
		return
	}
	r.recount(ctx)
}

// recount sets the Counter from the outbox table.
func (r *Relay) recount(ctx context.Context) {
	if r.Counter == nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deleteTimeout)
	defer cancel()
	if err := r.Counter.Resync(rctx, r.readDB()); err != nil {
		r.logger().Warn("forward: relay: recount the outbox", "err", err)
	}
}

func (r *Relay) readDB() *sql.DB {
	if r.ReadDB != nil {
		return r.ReadDB
	}
	return r.DB
}

// maxPayloader is a [Publisher] that knows the server's max_payload, like
// [JetStreamPublisher] and [CorePublisher].
type maxPayloader interface {
	MaxPayload() int64
}

// fetch reads the oldest rows into r.msgs and r.rows.
func (r *Relay) fetch(ctx context.Context) (more bool, err error) {
	r.msgs, r.rows = r.msgs[:0], r.rows[:0]
	db := r.readDB()
	batch := r.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	maxBytes := r.BatchBytes
	if maxBytes <= 0 {
		maxBytes = DefaultBatchBytes
	}
	rows, err := db.QueryContext(ctx,
		`SELECT seq, msg_id, subject, header, body, created_at FROM outbox ORDER BY seq LIMIT ?`, batch)
	if err != nil {
		return false, fmt.Errorf("forward: read outbox: %w", err)
	}
	defer rows.Close()
	size := 0
	for rows.Next() {
		var (
			m   Message
			rw  row
			hdr []byte
		)
		if err := rows.Scan(&rw.seq, &m.ID, &m.Subject, &hdr, &m.Body, &rw.createdAt); err != nil {
			return false, fmt.Errorf("forward: read outbox: %w", err)
		}
		if m.Header, err = decodeHeader(hdr); err != nil {
			return false, fmt.Errorf("forward: outbox row %d (%q): decode header: %w", rw.seq, m.ID, err)
		}
		r.msgs = append(r.msgs, m)
		r.rows = append(r.rows, rw)
		if size += len(m.Body); size >= maxBytes {
			return true, nil
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("forward: read outbox: %w", err)
	}
	return len(r.msgs) == batch, nil
}

// backoff returns the wait before retry attempt (1, 2, ...): exponential
// between MinBackoff and MaxBackoff, with the upper half jittered.
func (r *Relay) backoff(attempt int) time.Duration {
	lo, hi := r.MinBackoff, r.MaxBackoff
	if lo <= 0 {
		lo = DefaultMinBackoff
	}
	if hi <= 0 {
		hi = DefaultMaxBackoff
	}
	if hi < lo {
		hi = lo
	}
	d := hi
	if attempt < 32 {
		if e := lo << (attempt - 1); e > 0 && e < hi {
			d = e
		}
	}
	return d/2 + rand.N(d/2+1)
}

func (r *Relay) window() int {
	if r.Window <= 0 {
		return DefaultWindow
	}
	return r.Window
}

func (r *Relay) pollInterval() time.Duration {
	if r.PollInterval <= 0 {
		return DefaultPollInterval
	}
	return r.PollInterval
}

func (r *Relay) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Relay) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// sleep waits for d or until ctx ends, and reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
