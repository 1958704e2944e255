package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hookgate/hookgate/forward"
)

// Replay errors.
var (
	// ErrReplayCancelled is returned by a replay that was cancelled while
	// it was being queued; the rows it had queued were removed.
	ErrReplayCancelled = errors.New("store: replay cancelled")
	// ErrInvalidReplay means a replay was refused as asked (no provider,
	// event or start time; a subject the stream does not take); nothing
	// was queued.
	ErrInvalidReplay = errors.New("store: replay refused")
)

// NewReplayID returns a fresh replay ID: the time, and random hex.
func NewReplayID(now time.Time) string {
	var b [6]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Replay enqueues a replay of the accepted archived events that match q in
// db's outbox, under the ID id (NewReplayID); the relay of a running
// gateway on the same file sends it within its poll interval.
// stream are the subjects of the stream the gateway publishes to (nil:
// not checked, as in core mode): every subject the replay would publish on
// must fall inside them, or nothing is queued and the error wraps
// ErrInvalidReplay. It goes in pages of at most forward.MaxReplay events (and
// about forward.MaxReplayBytes of bodies), each in its own transaction, so
// a large replay never holds the write connection long (see ReplayOptions).
// The count is of what was committed, also when a later page fails (the
// error says so). When ctx is cancelled the replay stops between pages
// and returns an error wrapping its cause; with the cause
// ErrReplayCancelled its queued rows are left to CancelReplay, with any
// other they are sent.
func Replay(ctx context.Context, db *DB, id string, q forward.Query, subject string, stream []string, now time.Time, opt ReplayOptions) (c ReplayCount, err error) {
	pageSize := opt.PageSize
	if pageSize <= 0 {
		pageSize = forward.MaxReplay
	}
	if q.Provider == "" && q.EventID == "" && q.Since.IsZero() {
		return c, fmt.Errorf("%w: replay needs a provider, an event ID or a start time", ErrInvalidReplay)
	}
	// The replay is of what is archived now: pages are separate
	// transactions, and events accepted meanwhile must not join it.
	if q.Before == 0 {
		var last sql.NullInt64
		if err := db.Write.QueryRowContext(ctx, `SELECT max(id) FROM archive`).Scan(&last); err != nil {
			return c, fmt.Errorf("%w: %w", ErrStorage, err)
		}
		q.Before = last.Int64 + 1
	}
	if err := checkReplaySubjects(ctx, db, q, subject, stream); err != nil {
		return c, err
	}
	limit := q.Limit // 0: every match
	room := newReplayRoom(db, opt)
	need := [2]int64{1, 0} // rows and bytes the next page needs at least
	for {
		if err := context.Cause(ctx); errors.Is(err, ErrReplayCancelled) {
			return c, fmt.Errorf("%w: replay %s, after %d events were queued (they are removed)", ErrReplayCancelled, id, c.Events)
		} else if err != nil {
			return c, fmt.Errorf("replay %s stopped: %w (%s)", id, err, queuedBefore(c))
		}
		q.Limit = pageSize
		if limit > 0 {
			q.Limit = min(limit-c.Events, pageSize)
		}
		var err error
		if q.MaxRows, q.MaxBytes, err = room.wait(ctx, need[0], need[1]); err != nil {
			if errors.Is(context.Cause(ctx), ErrReplayCancelled) {
				continue // said above
			}
			return c, fmt.Errorf("%w (replay %s: %s)", err, id, queuedBefore(c))
		}
		res, err := replayPage(ctx, db, q, subject, id, now, opt.Outbox)
		if err != nil {
			if cause := context.Cause(ctx); errors.Is(cause, ErrReplayCancelled) {
				err = ErrReplayCancelled
			} else if cause != nil {
				return c, fmt.Errorf("replay %s stopped: %w (%s)", id, cause, queuedBefore(c))
			}
			if c.Events > 0 {
				err = fmt.Errorf("%w (replay %s: the first %d events were enqueued before it)", err, id, c.Events)
			}
			return c, err
		}
		c.Events, c.Messages, c.Bytes = c.Events+res.Events, c.Messages+res.Rows, c.Bytes+res.Bytes
		if opt.Committed != nil && res.Rows > 0 {
			opt.Committed(c)
		}
		if !res.More || (limit > 0 && c.Events >= limit) {
			return c, nil
		}
		need = [2]int64{1, 0}
		if res.NextRows > 0 || res.NextBytes > 0 {
			// The outbox had no room for the next event: it waits for
			// the room that one takes, which must fit the share.
			need = [2]int64{int64(res.NextRows), res.NextBytes}
			if err := room.fits(need[0], need[1]); err != nil {
				return c, fmt.Errorf("%w (replay %s: %s)", err, id, queuedBefore(c))
			}
		}
		if res.Events > 0 { // else the same events again, once there is room
			q.After = res.Last
		}
		if opt.AfterPage != nil && res.Events > 0 {
			opt.AfterPage(ctx)
		}
	}
}

// queuedBefore says what a replay that stopped queued before it.
func queuedBefore(c ReplayCount) string {
	if c.Events == 0 {
		return "nothing was queued"
	}
	return fmt.Sprintf("the first %d events were enqueued before it, and are sent; the rest was not queued", c.Events)
}

// DefaultReplayWait is how long a replay waits for room in the outbox
// when ReplayOptions.Wait is 0.
const DefaultReplayWait = time.Minute

// ReplayShare is the share of each outbox bound a replay may fill: half,
// so that live events keep the other half however large the replay.
func ReplayShare(bound int64) int64 { return (bound + 1) / 2 }

// replayRoom is the room a replay has in the outbox.
type replayRoom struct {
	db         *DB
	outbox     *forward.Counter
	rows, size int64 // the replay's share of the bounds; 0: unbounded
	patience   time.Duration
}

func newReplayRoom(db *DB, opt ReplayOptions) *replayRoom {
	r := &replayRoom{db: db, outbox: opt.Outbox, patience: opt.Wait}
	if opt.OutboxMaxRows > 0 {
		r.rows = ReplayShare(opt.OutboxMaxRows)
	}
	if opt.OutboxMaxBytes > 0 {
		r.size = ReplayShare(opt.OutboxMaxBytes)
	}
	if r.patience <= 0 {
		r.patience = DefaultReplayWait
	}
	return r
}

// depth is what the outbox holds now: the gateway's count, or the table's.
func (r *replayRoom) depth(ctx context.Context) (rows, bytes int64, err error) {
	if r.outbox != nil {
		rows, bytes = r.outbox.Load()
		return rows, bytes, nil
	}
	d, err := forward.Depth(ctx, r.db.Read)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	return d.Rows, d.Bytes, nil
}

// fits refuses a need larger than the replay's share, which no wait
// would make room for.
func (r *replayRoom) fits(rows, bytes int64) error {
	if (r.rows > 0 && rows > r.rows) || (r.size > 0 && bytes > r.size) {
		return fmt.Errorf("%w: an archived event is replayed as %d messages of %d bytes, more than a replay may queue at once: "+
			"half of storage.outbox_max_rows and outbox_max_bytes (%d rows, %d bytes)", ErrOutboxFull, rows, bytes, r.rows, r.size)
	}
	return nil
}

// wait waits until the replay's share has room for rows and bytes, and
// returns the room there is then (0, 0 when unbounded). It polls the
// depth, more slowly as the wait goes on, for at most r.patience; past it,
// the error wraps ErrOutboxFull. A cancelled ctx ends it with its cause.
func (r *replayRoom) wait(ctx context.Context, rows, bytes int64) (freeRows, freeBytes int64, err error) {
	if r.rows == 0 && r.size == 0 {
		return 0, 0, nil
	}
	var deadline time.Time
	poll := 10 * time.Millisecond
	for {
		n, b, err := r.depth(ctx)
		if err != nil {
			return 0, 0, err
		}
		freeRows, freeBytes = r.rows-n, r.size-b
		rowsOK, bytesOK := r.rows == 0 || freeRows >= rows, r.size == 0 || (freeBytes >= bytes && freeBytes > 0)
		if rowsOK && bytesOK {
			return max(freeRows, 0), max(freeBytes, 0), nil
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(r.patience)
		} else if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("%w: the outbox had no room for the replay for %s (it holds %d rows, %d bytes; a replay may fill half of "+
				"storage.outbox_max_rows and outbox_max_bytes: %d rows, %d bytes): is NATS down, or no gateway running to send it?",
				ErrOutboxFull, r.patience, n, b, r.rows, r.size)
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, 0, context.Cause(ctx)
		case <-t.C:
		}
		poll = min(2*poll, time.Second)
	}
}

// ReplayOptions adjust how Replay queues its pages.
type ReplayOptions struct {
	// PageSize bounds the events of a page (0: forward.MaxReplay).
	PageSize int
	// Outbox, when set, is the count of the outbox that the running
	// gateway keeps (the one its writer checks the bound against and its
	// relay counts down): each page's rows are counted on it as the page
	// commits, added before the commit (taken back if it fails) so that
	// the relay never counts out rows that were not counted in.
	Outbox *forward.Counter
	// OutboxMaxRows and OutboxMaxBytes are the outbox's bounds
	// (storage.outbox_max_rows and outbox_max_bytes; 0: unbounded). A
	// replay fills at most half of each (ReplayShare), so that live
	// events keep the other half: each page takes the room left in that
	// share (the depth is the Outbox count, or the table's without one),
	// and with none left the replay waits for the relay to send rows, at
	// most Wait (0: DefaultReplayWait) at a time; past it the replay
	// stops with an error wrapping ErrOutboxFull, what it queued is
	// sent. An event replayed as more than the share (route copies, a
	// body) stops it at once, with the same error.
	OutboxMaxRows, OutboxMaxBytes int64
	Wait                          time.Duration
	// Committed, when set, runs after each page that queued rows has
	// committed, with what the replay queued so far (the gateway wakes
	// its relay, and shows the replay's progress).
	Committed func(ReplayCount)
	// AfterPage, when set, runs after each page that took events (but
	// the last), with the replay's context.
	AfterPage func(context.Context)
}

// ReplayCount is what a replay queued: archived events, the messages
// queued for them (more than the events when routes add copies: see
// forward.Query.Expand), and those messages' body bytes.
type ReplayCount struct {
	Events, Messages int
	Bytes            int64
}

// checkReplaySubjects refuses a replay whose subject, or one of whose
// archived events' subjects (with a subject, those of the stale events,
// which keep theirs: see forward.ReplaySubjects), the stream does not
// take: queued, such rows would be refused by the stream until parked.
// The error wraps ErrInvalidReplay and names the subjects.
func checkReplaySubjects(ctx context.Context, db *DB, q forward.Query, subject string, stream []string) error {
	if stream == nil {
		return nil
	}
	subjects, err := forward.ReplaySubjects(ctx, db.Read, q, subject)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStorage, err)
	}
	var outside []string
	for _, subj := range subjects {
		if !forward.SubjectIn(subj, stream) {
			outside = append(outside, subj)
		}
	}
	if len(outside) == 0 {
		return nil
	}
	var what string
	switch {
	case len(outside) == 1 && outside[0] == subject:
		what = fmt.Sprintf("the subject %q is", outside[0])
	case len(outside) == 1:
		what = fmt.Sprintf("the archived events' subject %q is", outside[0])
	default:
		of := "archived events' subjects"
		if subject != "" {
			of = "subjects"
		}
		what = fmt.Sprintf("%d %s are (%s)", len(outside), of, strings.Join(outside[:min(3, len(outside))], ", "))
		if len(outside) > 3 {
			what = strings.TrimSuffix(what, ")") + ", ...)"
		}
	}
	return fmt.Errorf("%w: replay: %s outside the stream's subjects %q: the stream would not store them; nothing was queued", ErrInvalidReplay, what, stream)
}

// replayPage enqueues one page of a replay in its own transaction, and
// counts its rows on outbox (when set) before the commit.
func replayPage(ctx context.Context, db *DB, q forward.Query, subject, id string, now time.Time, outbox *forward.Counter) (forward.ReplayResult, error) {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return forward.ReplayResult{}, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	defer tx.Rollback()
	res, err := forward.ReplayPage(ctx, tx, q, subject, id, now)
	if errors.Is(err, forward.ErrInvalidMessage) {
		return forward.ReplayResult{}, fmt.Errorf("%w: %w", ErrInvalidReplay, err)
	}
	if err != nil {
		return forward.ReplayResult{}, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	commit := tx.Commit
	if outbox != nil {
		commit = func() error { return outbox.AddCommit(int64(res.Rows), res.Bytes, tx.Commit) }
	}
	if err := commit(); err != nil {
		return forward.ReplayResult{}, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	return res, nil
}

// CancelReplay removes the rows of the replay id that wait in db's outbox
// (those already published are not recalled), and returns how many rows
// and body bytes it removed.
func CancelReplay(ctx context.Context, db *DB, id string) (n, bytes int64, err error) {
	n, bytes, err = forward.CancelReplay(ctx, db.Write, id)
	if err != nil {
		return n, bytes, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	return n, bytes, nil
}

// WhyNoReplay says why a replay of q queued nothing: how many archived
// events q matches and their statuses, none of them accepted; or, when q
// matches none, that nothing is archived for its provider (or at all), or
// what is archived and when it was received.
func WhyNoReplay(ctx context.Context, db *DB, q forward.Query) (string, error) {
	q.Status, q.Limit, q.Before, q.After = "", 0, 0, 0
	c, err := forward.Count(ctx, db.Read, q)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrStorage, err)
	}
	const onlyAccepted = "only accepted events are replayed"
	switch {
	case c.Total == 1:
		for status := range c.ByStatus {
			return fmt.Sprintf("1 archived event matches, %s: %s", status, onlyAccepted), nil
		}
	case c.Total > 0 && len(c.ByStatus) == 1:
		for status := range c.ByStatus {
			return fmt.Sprintf("%d archived events match, all %s: %s", c.Total, status, onlyAccepted), nil
		}
	case c.Total > 0:
		statuses := make([]string, 0, len(c.ByStatus))
		for status := range c.ByStatus {
			statuses = append(statuses, status)
		}
		sort.Strings(statuses)
		parts := make([]string, len(statuses))
		for i, status := range statuses {
			parts[i] = fmt.Sprintf("%d %s", c.ByStatus[status], status)
		}
		return fmt.Sprintf("%d archived events match (%s): %s", c.Total, strings.Join(parts, ", "), onlyAccepted), nil
	}
	all, err := forward.Count(ctx, db.Read, forward.Query{Provider: q.Provider})
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrStorage, err)
	}
	of, forIt := "", ""
	if q.Provider != "" {
		of, forIt = " of provider "+q.Provider, " for it"
	}
	if all.Total == 0 {
		if q.Provider != "" {
			return "nothing is archived for provider " + q.Provider, nil
		}
		return "nothing is archived", nil
	}
	verb := "are"
	if all.Total == 1 {
		verb = "is"
	}
	return fmt.Sprintf("no archived event%s matches the query; %d %s archived%s, received from %s to %s", of, all.Total, verb, forIt,
		all.First.UTC().Format(time.RFC3339), all.Last.UTC().Format(time.RFC3339)), nil
}

// ResendParked moves parked rows back to the end of db's outbox in one
// transaction, for the relay to publish again: those whose seq is in seqs,
// or all of them. It returns how many rows it moved and their body bytes;
// n is 0 when none matched.
func ResendParked(ctx context.Context, db *DB, seqs []int64, now time.Time) (n, bytes int64, err error) {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	defer tx.Rollback()
	if n, bytes, err = forward.Unpark(ctx, tx, seqs, now); err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	return n, bytes, nil
}
