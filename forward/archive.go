package forward

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// HeaderReplay marks a message published again from the archive; its value
// is the replay's ID.
const HeaderReplay = "Hookgate-Replay"

// ErrNotFound is returned by Event for an unknown record.
var ErrNotFound = errors.New("forward: no such archived event")

// Record is one archived event.
type Record struct {
	ID         int64 // archive row ID, increasing with time
	Provider   string
	EventID    string
	EventType  string
	Status     string // accepted or stale
	Message    Message
	ReceivedAt time.Time
	Duplicates int // later deliveries of the same event
}

// Archive stores r in the caller's transaction.
func Archive(ctx context.Context, tx Execer, r Record) error {
	if r.Provider == "" || r.EventID == "" || r.Message.ID == "" {
		return fmt.Errorf("%w: archive record needs a provider, an event ID and a message ID", ErrInvalidMessage)
	}
	hdr, err := encodeHeader(r.Message.Header)
	if err != nil {
		return fmt.Errorf("forward: archive %q: %w", r.Message.ID, err)
	}
	body := r.Message.Body
	if body == nil {
		body = []byte{}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO archive
		(provider, event_id, event_type, status, msg_id, subject, header, body, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Provider, r.EventID, r.EventType, r.Status, r.Message.ID, r.Message.Subject, hdr, body, r.ReceivedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("forward: archive %q: %w", r.Message.ID, err)
	}
	return nil
}

// ArchiveDuplicate counts a later delivery of the archived event msgID.
// An event that is not archived (archived before the archive was on, or
// expired) is ignored.
func ArchiveDuplicate(ctx context.Context, tx Execer, msgID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE archive SET duplicates = duplicates + 1
		WHERE id = (SELECT max(id) FROM archive WHERE msg_id = ?)`, msgID)
	if err != nil {
		return fmt.Errorf("forward: archive duplicate %q: %w", msgID, err)
	}
	return nil
}

// Query selects archived events. Zero fields do not filter.
type Query struct {
	Provider string
	Status   string
	EventID  string
	Since    time.Time // received at or after
	Until    time.Time // received before
	Before   int64     // only records with an ID below this (paging, newest first)
	After    int64     // only records with an ID above this (paging oldest first, as ReplayPage does)
	Limit    int       // default 100 for Events; MaxReplay for Replay and ReplayPage
	// MaxRows and MaxBytes, when above 0, bound the messages (with
	// Expand's copies) and their body bytes that one ReplayPage enqueues:
	// the room a replay has in the outbox (see ReplayPage).
	MaxRows  int64
	MaxBytes int64
	// Expand, for a replay, gives the messages an archived event is
	// replayed as (the gateway's routes evaluated again: the copies and
	// the event's own message, some of them, or none); nil: the archived
	// message alone. An error stops the replay's page, queuing nothing of
	// it.
	Expand func(Message) ([]Message, error)
}

// replayWhere is where() for what a replay sends (q.Status aside):
// accepted events, and stale events that were forwarded marked
// (ordering.stale forward), archived as the message they went as. That
// mark is the header line "Hookgate-Stale: true" of the stored header
// block (encodeHeader): every line of the block follows a CRLF (the
// preamble's or the line before), and no name or value holds a CR or LF,
// so the CRLF-framed line matches that header alone, never a value (an
// event type, an ordering key, a passed header) that holds its text. Rows
// stored as JSON by earlier versions predate ordering.stale and hold no
// such header.
func (q Query) replayWhere() (string, []any) {
	q.Status = ""
	where, args := q.where()
	if where == "" {
		where = " WHERE "
	} else {
		where += " AND "
	}
	where += "(status = 'accepted' OR (status = 'stale' AND instr(header, ?) > 0))"
	return where, append(args, []byte(staleLine)) // a blob, as the column: compared byte for byte
}

// staleLine is the mark of a stale event forwarded, as its stored header
// block holds it.
const staleLine = "\r\n" + HeaderStale + ": true\r\n"

func (q Query) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if q.Provider != "" {
		add("provider = ?", q.Provider)
	}
	if q.Status != "" {
		add("status = ?", q.Status)
	}
	if q.EventID != "" {
		add("event_id = ?", q.EventID)
	}
	if !q.Since.IsZero() {
		add("received_at >= ?", q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		add("received_at < ?", q.Until.UnixNano())
	}
	if q.Before > 0 {
		add("id < ?", q.Before)
	}
	if q.After > 0 {
		add("id > ?", q.After)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Events returns the archived events that match q, newest first. With
// bodies false, Message.Body and Message.Header are left empty.
func Events(ctx context.Context, db Rows, q Query, bodies bool) ([]Record, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	cols := withBody("id, provider, event_id, event_type, status, msg_id, subject, received_at, duplicates", bodies)
	where, args := q.where()
	return collect(ctx, db, "archive query", "SELECT "+cols+" FROM archive"+where+" ORDER BY id DESC LIMIT ?", append(args, q.Limit),
		func(rows *sql.Rows) (r Record, err error) {
			var at int64
			err = scanMessage(rows, &r.Message, bodies, &r.ID, &r.Provider, &r.EventID, &r.EventType, &r.Status, &r.Message.ID, &r.Message.Subject, &at, &r.Duplicates)
			if err != nil {
				return r, fmt.Errorf("record %d: %w", r.ID, err)
			}
			r.ReceivedAt = time.Unix(0, at)
			return r, nil
		})
}

// Counts says how many archived events match a query, by status, and when
// the oldest and the newest of them were received.
type Counts struct {
	Total       int
	ByStatus    map[string]int
	First, Last time.Time // zero when Total is 0
}

// Count counts the archived events that match q; q.Limit does not apply.
func Count(ctx context.Context, db Rows, q Query) (Counts, error) {
	where, args := q.where()
	rows, err := db.QueryContext(ctx, "SELECT status, count(*), min(received_at), max(received_at) FROM archive"+where+" GROUP BY status", args...)
	if err != nil {
		return Counts{}, fmt.Errorf("forward: archive count: %w", err)
	}
	defer rows.Close()
	c := Counts{ByStatus: map[string]int{}}
	for rows.Next() {
		var (
			status      string
			n           int
			first, last int64
		)
		if err := rows.Scan(&status, &n, &first, &last); err != nil {
			return Counts{}, fmt.Errorf("forward: archive count: %w", err)
		}
		c.ByStatus[status] = n
		if c.Total == 0 || time.Unix(0, first).Before(c.First) {
			c.First = time.Unix(0, first)
		}
		if c.Total == 0 || time.Unix(0, last).After(c.Last) {
			c.Last = time.Unix(0, last)
		}
		c.Total += n
	}
	if err := rows.Err(); err != nil {
		return Counts{}, fmt.Errorf("forward: archive count: %w", err)
	}
	return c, nil
}

// Replay bounds: one call enqueues at most MaxReplay events, and stops after
// the event that brings their bodies to MaxReplayBytes, so that a replay
// neither holds the write transaction long nor loads the archive into
// memory. A larger replay is done in pages (see [ReplayPage]).
const (
	MaxReplay      = 10_000
	MaxReplayBytes = 32 << 20
)

// ReplayResult is what one [ReplayPage] call enqueued.
type ReplayResult struct {
	// Events is the number of archived events replayed; Rows the number
	// of messages enqueued for them (more with Query.Expand), Bytes the
	// size of those messages' bodies.
	Events int
	Rows   int
	Bytes  int64
	// Last is the archive ID of the last event enqueued (0 if none). Set it
	// as Query.After to replay the next page.
	Last int64
	// More reports that a bound stopped the call while more archived
	// events match.
	More bool
	// NextRows and NextBytes are, when Query.MaxRows or MaxBytes stopped
	// the call, the messages and body bytes of the next event, which did
	// not fit (0 otherwise).
	NextRows  int
	NextBytes int64
}

// Replay is [ReplayPage] for callers that do not page: it returns the
// number of events enqueued and their body bytes. It enqueues at most
// q.Limit events (0, or a limit above MaxReplay, means MaxReplay) and at
// most about MaxReplayBytes of bodies: the oldest ones that match. When it
// returns MaxReplay events, or less than q.Limit because of the byte bound,
// more may match; use ReplayPage to continue.
func Replay(ctx context.Context, tx interface {
	Execer
	Rows
}, q Query, subject, replayID string, now time.Time) (n int, bytes int64, err error) {
	res, err := ReplayPage(ctx, tx, q, subject, replayID, now)
	return res.Events, res.Bytes, err
}

// ReplayPage enqueues, in the caller's transaction, a copy of the accepted
// archived events that match q, oldest first, for the relay to publish
// again, and the stale events that were forwarded (ordering.stale forward),
// as they were. Each copy gets the Nats-Msg-Id "<original>:replay:<replayID>" (so
// the stream does not drop it as a duplicate, and a replay retried with the
// same replayID is dropped instead), the HeaderReplay header, and subject
// when not empty (on the events' own messages: a route's copy keeps its
// route's subject, and a stale event forwarded keeps its stale subject).
//
// One call enqueues at most q.Limit events (0, or a limit above MaxReplay,
// means MaxReplay = 10,000), and stops after the event that brings their
// bodies to MaxReplayBytes (32 MiB); it enqueues at least one event when
// one matches (and fits q.MaxRows and q.MaxBytes). The result reports whether more events match (More) and the
// archive ID of the last one enqueued (Last): to replay everything, call
// again with q.After = Last, the same replayID, in a new transaction,
// until More is false. q.Status is ignored.
//
// With q.MaxRows or q.MaxBytes it enqueues no event whose messages would
// take the page past them: it stops before it, with More set and the
// event's messages and bytes in NextRows and NextBytes, also when that is
// the first event (then it enqueues nothing: Events is 0).
//
// The error wraps [ErrInvalidMessage] for an empty replay ID or one with
// white space, or an invalid or reserved subject (the override, or an
// archived one). After an error, roll the transaction back: copies enqueued
// before it may be in it.
func ReplayPage(ctx context.Context, tx interface {
	Execer
	Rows
}, q Query, subject, replayID string, now time.Time) (ReplayResult, error) {
	if replayID == "" || strings.ContainsAny(replayID, " \t\r\n") {
		return ReplayResult{}, fmt.Errorf("%w: replay ID %q", ErrInvalidMessage, replayID)
	}
	if subject != "" {
		if bad := checkSubject(subject); bad != "" {
			return ReplayResult{}, fmt.Errorf("%w: replay subject %q: %s", ErrInvalidMessage, subject, bad)
		}
	}
	limit := q.Limit
	if limit <= 0 || limit > MaxReplay {
		limit = MaxReplay
	}
	where, args := q.replayWhere()
	// One row more than the limit tells whether more events match.
	rows, err := tx.QueryContext(ctx, "SELECT id, msg_id, subject, header, body FROM archive"+where+" ORDER BY id LIMIT ?",
		append(args, limit+1)...)
	if err != nil {
		return ReplayResult{}, fmt.Errorf("forward: replay: %w", err)
	}
	var (
		res   ReplayResult
		msgs  []Message
		ids   []int64
		taken int64
	)
	for rows.Next() {
		if len(msgs) == limit || taken >= MaxReplayBytes {
			res.More = true
			break
		}
		var (
			m  Message
			id int64
		)
		if err := scanMessage(rows, &m, true, &id, &m.ID, &m.Subject); err != nil {
			rows.Close()
			return ReplayResult{}, fmt.Errorf("forward: replay %q: %w", m.ID, err)
		}
		msgs, ids = append(msgs, m), append(ids, id)
		taken += int64(len(m.Body))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ReplayResult{}, fmt.Errorf("forward: replay: %w", err)
	}
	for i, archived := range msgs {
		out := []Message{archived}
		if q.Expand != nil {
			var err error
			if out, err = q.Expand(archived); err != nil {
				return ReplayResult{}, fmt.Errorf("forward: replay of %s: %w", archived.ID, err)
			}
		}
		size := int64(0)
		for _, m := range out {
			size += int64(len(m.Body))
		}
		if (q.MaxRows > 0 && int64(res.Rows+len(out)) > q.MaxRows) || (q.MaxBytes > 0 && res.Bytes+size > q.MaxBytes) {
			res.More, res.NextRows, res.NextBytes = true, len(out), size
			break
		}
		if err := enqueueReplay(ctx, tx, out, subject, replayID, now); err != nil {
			return ReplayResult{}, err
		}
		res.Events, res.Rows, res.Bytes, res.Last = i+1, res.Rows+len(out), res.Bytes+size, ids[i]
	}
	return res, nil
}

// enqueueReplay enqueues the replay copies of the messages an archived
// event is replayed as (itself, or what Query.Expand made of it).
func enqueueReplay(ctx context.Context, tx Execer, out []Message, subject, replayID string, now time.Time) error {
	for _, m := range out {
		m.ID += ":replay:" + replayID
		if subject != "" && m.Header.Get(HeaderRoute) == "" && m.Header.Get(HeaderStale) == "" {
			// The event's own message; a route's copy keeps its route's
			// subject, a stale event forwarded its stale subject.
			m.Subject = subject
		}
		h := make(map[string][]string, len(m.Header)+1)
		for k, v := range m.Header {
			h[k] = v
		}
		m.Header = h
		m.Header.Set(HeaderReplay, replayID)
		if err := enqueue(ctx, tx, m, now, &replayID); err != nil {
			return err
		}
	}
	return nil
}

// SweepArchiveStatement deletes at most ?2 records received before ?1
// (Unix nanoseconds), oldest first.
const SweepArchiveStatement = `DELETE FROM archive WHERE id IN (
	SELECT id FROM archive WHERE received_at < ?1 ORDER BY id LIMIT ?2)`
