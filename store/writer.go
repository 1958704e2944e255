package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/webhook"
)

// Writer decides events in the SQLite database: the group commit around
// the decision of decide.go. A single goroutine gathers concurrent Decide
// calls into one transaction (bounded in count), decides each event in it,
// commits once, and answers every caller: one fsync serves many requests.
// One event's failure never decides another's outcome (see commit). A
// batch the stream took whole is answered before its commit, and its
// transaction stays open for the batches after it, up to CommitDelay (see
// attempt). A Writer is safe for concurrent use; Start it once, and Close
// stops it.
type Writer struct {
	DB       *sql.DB // the single-connection write pool
	MaxBatch int     // events per transaction (default 256)
	Now      func() time.Time
	// Committed, when set, is called after a commit that accepted events
	// (the relay's Notify).
	Committed func()
	// Outbox counts what waits in the outbox (required); accepted events
	// are added to it.
	Outbox *forward.Counter
	// MaxOutboxRows and MaxOutboxBytes bound the outbox (0: unbounded).
	// An event that would pass a bound is refused with ErrOutboxFull and
	// nothing is recorded for it; duplicates and stale events are still
	// decided, since they add nothing to the outbox.
	MaxOutboxRows  int64
	MaxOutboxBytes int64
	// Archive keeps decided events (accepted and stale) in the archive
	// table, and counts duplicates there, in the same transaction.
	Archive bool
	// Stream, when set, has the writer publish accepted events to the
	// stream itself, with the outbox as the fallback (direct.go). Call
	// CatchUp before Start.
	Stream *Stream
	// CommitDelay is how long the transaction of a batch answered before
	// its commit (the stream holds all it decided) stays open for the
	// batches after it: one commit, and one fsync, for all the batches of
	// that time. A crash or a failed commit loses none of their decisions:
	// CatchUp reads them back from the stream. Default 10ms; negative:
	// each batch commits at once.
	CommitDelay time.Duration
	// Cycles, when set, is told what each batch the writer decided took
	// (with its commit when it committed at once), and each commit of
	// held batches alone (Events 0). An attempt that failed before its
	// publish reports nothing. It runs on the writer goroutine: keep it
	// short.
	Cycles func(Cycle)

	// Writer goroutine only: a commit failed after a direct publish, so
	// CatchUp runs before the writer decides again, tried again from
	// catchUpAt after a failure (by the next batch, or by run itself
	// when none comes). While behind, no transaction is held.
	behind    bool
	catchUpAt time.Time
	held      *writeTx // the open transaction of batches answered already; nil when none

	lastErr   atomic.Pointer[error] // the last commit's failure; nil after a success
	behindErr atomic.Pointer[error] // why the last CatchUp failed, while behind; nil otherwise

	// testHookCommit, when set, runs before each commit; an error
	// stands for the commit's (the batch is rolled back).
	testHookCommit func() error

	reqs     chan *pending
	quit     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// Cycle is what one batch of the writer took, or one commit of held
// batches alone (no Events).
type Cycle struct {
	Events    int           // the batch's events
	Decide    time.Duration // deciding them, from the batch's start (waiting for the connection included)
	Publish   time.Duration // publishing their messages to the stream; 0 when the batch published none
	Commit    time.Duration // the commit's, when Committed (succeeded or not)
	Committed bool
}

// writeTx is a transaction of the writer on the write pool's connection.
type writeTx struct {
	conn    *sql.Conn
	tx      *sql.Tx
	began   time.Time
	carries bool // holds batches answered already: rolling it back loses their decisions
}

// end rolls t back (nothing, once committed) and gives its connection back.
func (t *writeTx) end() {
	t.tx.Rollback()
	t.conn.Close()
}

// commitDelay is Writer.CommitDelay's default.
const commitDelay = 10 * time.Millisecond

// pending is one Decide call waiting for the writer. Once the writer has
// sent its result, the writer no longer touches it, and Decide puts it back
// in pendings for the next call.
type pending struct {
	ctx    context.Context
	ev     *webhook.Event
	result chan decision // buffered, 1; empty while in pendings
}

var pendings = sync.Pool{New: func() any { return &pending{result: make(chan decision, 1)} }}

// release returns p, whose result has been received, to pendings.
func (p *pending) release() {
	p.ctx, p.ev = nil, nil
	pendings.Put(p)
}

type decision struct {
	outcome webhook.Outcome
	stale   *forward.Message // the message kept for a stale event, to publish when direct
	err     error
}

// Healthy returns the error of the last commit if it failed; else, while
// the writer is behind and cannot read the stream back (see CatchUp), why
// it cannot: it refuses every event until it can. Nil otherwise.
func (w *Writer) Healthy() error {
	if p := w.lastErr.Load(); p != nil {
		return *p
	}
	if p := w.behindErr.Load(); p != nil {
		return *p
	}
	return nil
}

// probeSize is what a probe writes: room for a few events.
const probeSize = 64 << 10

// Probe learns whether the database takes writes again after a failed
// commit: it commits a row of probeSize bytes and deletes it again. On
// success it clears the commit's failure Healthy reports, so that
// readiness returns without waiting for a request to commit (a load
// balancer sends none to a gateway that is not ready); a writer that is
// behind stays unhealthy until it has caught up, which it retries by
// itself. It returns the probe's error, if any.
func (w *Writer) Probe(ctx context.Context) error {
	tx, err := w.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO health_probe (id, pad) VALUES (1, zeroblob(?))`, probeSize); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// The pages go back to the database's free list, for events.
	if _, err := w.DB.ExecContext(ctx, `DELETE FROM health_probe`); err != nil {
		return err
	}
	w.lastErr.Store(nil)
	return nil
}

// Start starts the writer goroutine.
func (w *Writer) Start() {
	if w.MaxBatch <= 0 {
		w.MaxBatch = 256
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.CommitDelay == 0 {
		w.CommitDelay = commitDelay
	}
	w.reqs = make(chan *pending, w.MaxBatch)
	w.quit = make(chan struct{})
	w.done = make(chan struct{})
	go w.run()
}

// Close stops taking events, decides those already queued, and waits for
// the goroutine to end. Closing a writer that was never started does
// nothing (a failed Open unwinds through it).
func (w *Writer) Close() error {
	if w.quit == nil {
		return nil
	}
	w.stopOnce.Do(func() { close(w.quit) })
	<-w.done
	return nil
}

// Decide records the fate of ev and returns once it is durable: Duplicate,
// Stale, or Accepted with its message in the outbox (see decide). An error
// wraps ErrStorage or ErrOutboxFull (nothing was recorded for this event),
// forward.ErrInvalidMessage (the event's message cannot be published as it
// is), or is ErrClosed. Decide copies what it keeps of ev.Message.Body and
// holds no reference to it once it returns.
func (w *Writer) Decide(ctx context.Context, ev *webhook.Event) (webhook.Outcome, error) {
	select {
	case <-w.quit:
		return 0, ErrClosed
	default:
	}
	p := pendings.Get().(*pending)
	p.ctx, p.ev = ctx, ev
	select {
	case w.reqs <- p:
		// The queue had room, as it mostly has: no need to watch ctx
		// while waiting for it (its Done would allocate a channel).
	default:
		select {
		case w.reqs <- p:
		case <-w.quit:
			p.release()
			return 0, ErrClosed
		case <-ctx.Done():
			p.release()
			return 0, fmt.Errorf("%w: %w", ErrStorage, ctx.Err())
		}
	}
	select {
	case d := <-p.result:
		p.release()
		return d.outcome, d.err
	case <-w.done:
		select {
		case d := <-p.result:
			p.release()
			return d.outcome, d.err
		default:
			// Queued as the writer stopped, never taken: left alone
			// rather than reused.
			return 0, ErrClosed
		}
	}
}

func (w *Writer) run() {
	defer close(w.done)
	batch := make([]*pending, 0, w.MaxBatch)
	due, retry := time.NewTimer(time.Hour), time.NewTimer(time.Hour)
	due.Stop()
	retry.Stop()
	for {
		var expired, catchUp <-chan time.Time
		if w.held != nil {
			due.Reset(time.Until(w.held.began.Add(w.CommitDelay)))
			expired = due.C
		}
		if w.behind {
			// Caught up without waiting for a batch: a gateway that is
			// not ready while behind gets none.
			retry.Reset(time.Until(w.catchUpAt))
			catchUp = retry.C
		}
		select {
		case p := <-w.reqs:
			batch = append(batch[:0], p)
		case <-expired:
			w.commitHeld()
			continue
		case <-catchUp:
			w.catchUpNow()
			continue
		case <-w.quit:
			w.drain(batch)
			return
		}
		due.Stop()
		retry.Stop()
		w.commit(w.gather(batch))
	}
}

// drain decides what was queued before Close, and commits what is held.
func (w *Writer) drain(batch []*pending) {
	for {
		batch = w.gather(batch[:0])
		if len(batch) == 0 {
			w.commitHeld()
			return
		}
		w.commit(batch)
	}
}

// commitHeld commits the held transaction, if any. Its batches were
// answered already: a failure leaves the writer behind (CatchUp records
// their decisions from the stream before the next batch).
func (w *Writer) commitHeld() {
	t := w.held
	if t == nil {
		return
	}
	w.held = nil
	defer t.end()
	start := time.Now()
	err := w.commitTx(t.tx)
	w.report(Cycle{Commit: time.Since(start), Committed: true})
	if err != nil {
		w.lastErr.Store(&err)
		w.behind = true
		return
	}
	w.lastErr.Store(nil)
}

// commitTx commits tx, after the test hook when one is set.
func (w *Writer) commitTx(tx *sql.Tx) error {
	if w.testHookCommit != nil {
		if err := w.testHookCommit(); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// report tells Cycles about c, when set.
func (w *Writer) report(c Cycle) {
	if w.Cycles != nil {
		w.Cycles(c)
	}
}

// gather adds to batch what is queued, without waiting, up to MaxBatch.
func (w *Writer) gather(batch []*pending) []*pending {
	for len(batch) < w.MaxBatch {
		select {
		case p := <-w.reqs:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

// commit decides a batch in one transaction and answers each caller. It
// first runs every event's statements straight; if one event fails, that
// attempt is rolled back and the batch runs again with a savepoint around
// each event, so the failure is that event's alone. Failures are rare (a
// full outbox, a failing disk), so the common case pays for no savepoints.
func (w *Writer) commit(batch []*pending) {
	if !w.caughtUp(batch) {
		return
	}
	results, room, answered, err := w.attempt(batch, false)
	if errors.Is(err, errEventFailed) {
		// Behind now if the attempt could not keep the held transaction
		// (see undoBatch): its batches' decisions are read back first.
		if !w.caughtUp(batch) {
			return
		}
		results, room, answered, err = w.attempt(batch, true)
	}
	if err != nil {
		w.lastErr.Store(&err)
		if !answered {
			for _, p := range batch {
				p.result <- decision{err: fmt.Errorf("%w: %w", ErrStorage, err)}
			}
		}
		return
	}
	w.lastErr.Store(nil)
	w.Outbox.Add(room.rows, room.bytes)
	if !answered {
		for i, p := range batch {
			p.result <- results[i]
		}
	}
	if room.rows > 0 && w.Committed != nil {
		w.Committed()
	}
}

// caughtUp runs CatchUp when the writer is behind. When that fails it
// answers the batch with the error and reports false: claims and versions
// of events on the stream are missing, and deciding now could accept a
// retry or an older version.
func (w *Writer) caughtUp(batch []*pending) bool {
	if !w.behind {
		return true
	}
	err := w.catchUpNow()
	if err == nil {
		return true
	}
	for _, p := range batch {
		p.result <- decision{err: err}
	}
	return false
}

// errEventFailed ends an attempt without savepoints at its first failing
// event.
var errEventFailed = errors.New("gateway: an event of the batch failed")

// attempt decides the batch in one transaction and commits it. With
// careful false an event's failure aborts the attempt with errEventFailed;
// with careful true each event runs in a savepoint and its failure is its
// result. Any other error means nothing of the batch was kept. answered
// reports that every caller of the batch has its result already (sent
// before the commit: see below), whatever the commit did; the writer must
// not touch their pendings again.
//
// The transaction is the held one when there is one: it carries batches
// answered before their commit. If this batch too is answered before its
// commit and the transaction began less than CommitDelay ago, it is held
// again, uncommitted, for the next batches (run commits it once the delay
// has passed with none). Otherwise the batch commits it, with what it
// carries. In a transaction that carries answered batches, a batch runs
// in a savepoint: an event's failure (errEventFailed) undoes this batch
// alone, and the careful attempt runs in the same transaction. Any other
// failure there rolls their decisions back too: the writer is then
// behind, and CatchUp records them again from the stream.
func (w *Writer) attempt(batch []*pending, careful bool) (results []decision, room *batchRoom, answered bool, err error) {
	ctx := context.Background()
	start := time.Now()
	t, err := w.begin(ctx, start)
	if err != nil {
		return nil, nil, false, err
	}
	conn, tx := t.conn, t.tx
	held := false
	carried := t.carries
	if carried {
		// The batches held already must survive this one's failure.
		if _, err := tx.ExecContext(ctx, "SAVEPOINT batch"); err != nil {
			t.end()
			w.behind = true
			return nil, nil, false, err
		}
	}
	defer func() {
		switch {
		case held:
		case carried && errors.Is(err, errEventFailed) && w.undoBatch(ctx, t):
			w.held = t // for the careful attempt, with the batches before
		default:
			t.end()
			if err != nil && t.carries {
				w.behind = true
			}
		}
	}()
	results = make([]decision, len(batch))
	room = &batchRoom{w: w}
	now := w.Now()
	direct, err := w.direct(ctx, tx, batch)
	if err != nil {
		return nil, nil, false, err
	}
	var msgs []forward.Message // accepted events' messages, for the stream, when direct
	for i, p := range batch {
		if err := p.ctx.Err(); err != nil {
			// The caller is gone and will answer with an error: record nothing.
			results[i] = decision{err: fmt.Errorf("%w: %w", ErrStorage, err)}
			continue
		}
		if careful {
			if results[i], err = w.decideOne(ctx, tx, p.ev, now, room, direct); err != nil {
				return nil, nil, false, err
			}
		} else {
			results[i] = w.decide(ctx, tx, p.ev, now, room, direct)
			if results[i].err != nil {
				return nil, nil, false, errEventFailed
			}
		}
		if results[i].err != nil && !inTransaction(conn) {
			// SQLite rolled the whole transaction back (it may, on
			// SQLITE_FULL, IOERR, BUSY or NOMEM). Running the next
			// events' statements now would commit each on its own, so
			// the batch ends here: every event of it fails, none is kept.
			return nil, nil, false, results[i].err
		}
		switch {
		case !direct:
		case results[i].outcome == webhook.Accepted && !p.ev.Drop:
			msgs = append(msgs, p.ev.Copies...) // the event's own last: see webhook.Event.Outgoing
			msgs = append(msgs, p.ev.Message)
		case results[i].stale != nil:
			msgs = append(msgs, *results[i].stale)
		}
	}
	decided := time.Now()
	acked, sent, err := w.publish(ctx, tx, msgs, now, room)
	c := Cycle{Events: len(batch), Decide: decided.Sub(start)}
	if len(msgs) > 0 {
		c.Publish = time.Since(decided)
	}
	published := time.Now()
	if err == nil && direct && acked == len(msgs) && w.recoverable(batch, results) {
		// Every message of the batch is on the stream: its events are
		// durable there, and what this commit records of them CatchUp
		// reads back from the stream should the commit fail or the
		// process die first. Their callers need not wait for the disk.
		for i, p := range batch {
			p.result <- results[i]
		}
		answered = true
		if w.CommitDelay > 0 && time.Since(t.began) < w.CommitDelay && w.endBatch(ctx, t, carried) {
			held, t.carries, w.held = true, true, t
			w.report(c)
			return results, room, true, nil
		}
	}
	if err == nil {
		err = w.commitTx(tx)
		c.Commit, c.Committed = time.Since(published), true
	}
	w.report(c)
	if err != nil {
		// What the stream took has no claim yet: read it back first. So
		// may what it stored without acknowledging it (an ack lost with
		// the connection, or late): all that was sent is read back.
		w.behind = w.behind || sent > 0
		return nil, nil, answered, err
	}
	return results, room, answered, nil
}

// undoBatch rolls the batch that failed in the held transaction t back to
// its savepoint, keeping the batches before it. It reports whether it
// could: SQLite may have rolled the whole transaction back by itself.
func (w *Writer) undoBatch(ctx context.Context, t *writeTx) bool {
	if !inTransaction(t.conn) {
		return false
	}
	if _, err := t.tx.ExecContext(ctx, "ROLLBACK TO batch"); err != nil {
		return false
	}
	_, err := t.tx.ExecContext(ctx, "RELEASE batch")
	return err == nil
}

// endBatch releases the savepoint of a batch that succeeded in a held
// transaction (none when it did not carry batches), so that the next
// batch's does not nest in it. It reports whether the transaction can be
// held on: when not, the caller commits it.
func (w *Writer) endBatch(ctx context.Context, t *writeTx, carried bool) bool {
	if !carried {
		return true
	}
	_, err := t.tx.ExecContext(ctx, "RELEASE batch")
	return err == nil
}

// begin returns the held transaction, if any, or begins one.
func (w *Writer) begin(ctx context.Context, now time.Time) (*writeTx, error) {
	if t := w.held; t != nil {
		w.held = nil
		return t, nil
	}
	conn, err := w.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &writeTx{conn: conn, tx: tx, began: now}, nil
}

// recoverable reports whether CatchUp could rebuild from the stream all
// that a batch decided: not with the archive on (its records are in the
// database alone), nor with an event accepted and dropped by a route, whose
// version (when ordered) is not on the stream. Duplicates change nothing;
// a stale event or a dropped unordered one decided again gets the same
// answer.
func (w *Writer) recoverable(batch []*pending, results []decision) bool {
	if w.Archive {
		return false
	}
	for i, p := range batch {
		if results[i].outcome == webhook.Accepted && p.ev.Drop && p.ev.Ordered {
			return false
		}
	}
	return true
}

// inTransaction reports whether conn still has its transaction open. A
// connection it cannot inspect is assumed to have lost it.
func inTransaction(conn *sql.Conn) bool {
	open := false
	conn.Raw(func(dc any) error {
		if c, ok := dc.(*sqlite3.SQLiteConn); ok {
			open = !c.AutoCommit()
		}
		return nil
	})
	return open
}

// batchRoom tracks what one batch adds to the outbox, against the bounds.
type batchRoom struct {
	w           *Writer
	rows, bytes int64
}

// take reserves room for n messages of size bytes together, or reports
// that the outbox is full.
func (b *batchRoom) take(n, size int) error {
	w := b.w
	rows, bytes := w.Outbox.Load()
	rows, bytes = rows+b.rows+int64(n), bytes+b.bytes+int64(size)
	if w.MaxOutboxRows > 0 && rows > w.MaxOutboxRows {
		return fmt.Errorf("%w: %d rows, the bound is %d", ErrOutboxFull, rows-int64(n), w.MaxOutboxRows)
	}
	if w.MaxOutboxBytes > 0 && bytes > w.MaxOutboxBytes {
		return fmt.Errorf("%w: %d bytes, the bound is %d", ErrOutboxFull, bytes-int64(size), w.MaxOutboxBytes)
	}
	b.rows += int64(n)
	b.bytes += int64(size)
	return nil
}

// give returns what take reserved, for messages rolled back after it or
// taken by the stream.
func (b *batchRoom) give(n, size int) {
	b.rows -= int64(n)
	b.bytes -= int64(size)
}

// decideOne decides one event inside a savepoint of tx, so that its
// failure undoes its statements alone. An error of the savepoint commands
// themselves is returned apart: the event's statements may then be neither
// undone nor separable from the rest, so the whole batch must fail.
func (w *Writer) decideOne(ctx context.Context, tx *sql.Tx, ev *webhook.Event, now time.Time, room *batchRoom, direct bool) (decision, error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT event"); err != nil {
		return decision{}, fmt.Errorf("opening the event's savepoint: %w", err)
	}
	d := w.decide(ctx, tx, ev, now, room, direct)
	if d.err != nil {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO event"); err != nil {
			return decision{}, fmt.Errorf("rolling back the event's savepoint: %w (after: %w)", err, d.err)
		}
	}
	if _, err := tx.ExecContext(ctx, "RELEASE event"); err != nil {
		return decision{}, fmt.Errorf("releasing the event's savepoint: %w", err)
	}
	return d, nil
}
