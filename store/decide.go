package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hookgate/hookgate/dedupe"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/ordering"
	"github.com/hookgate/hookgate/webhook"
)

// This file is the decision, step 4 of the pipeline, for one event inside
// the group commit's transaction (writer.go is the machinery around it):
//
//  1. claim the event's idempotency key with its TTL (package dedupe), and
//     its body's with dedupe.body_hash: a live claim makes the event a
//     duplicate;
//  2. if it is ordered, compare its version with its entity's last one
//     (package ordering): strictly older, or equal with DropTies, is stale
//     (and its message is kept, marked, when ordering.stale is forward);
//  3. enqueue its message in the outbox (package forward), within the
//     outbox's bound; or, when the writer publishes the batch itself
//     (direct.go), reserve its outbox room and leave the message for the
//     batch's publish, which enqueues it only if the stream does not take
//     it;
//  4. archive the decision, when the archive is on.
//
// Everything runs on one transaction: it commits, or nothing of the event
// is recorded.

// decide runs the decision for ev on tx, top to bottom (see the top of
// this file). The outbox room the event takes is reserved in room; on an
// error it is given back, and the event's outcome is 0. Undoing its
// statements on an error is the caller's (writer.go rolls its savepoint
// back, or the whole transaction).
func (w *Writer) decide(ctx context.Context, tx *sql.Tx, ev *webhook.Event, now time.Time, room *batchRoom, direct bool) decision {
	rows, bytes := room.rows, room.bytes
	var d decision
	d.outcome, d.stale, d.err = w.record(ctx, tx, ev, now, room, direct)
	if d.err == nil && w.Archive {
		d.err = archive(ctx, tx, ev, d.outcome, d.stale, now)
	}
	if d.err != nil {
		room.rows, room.bytes = rows, bytes // what the event reserved
		return decision{err: d.err}
	}
	return d
}

// record claims, compares and enqueues: the outcome of the event, and the
// message kept for a stale event (ordering.stale forward), if any.
func (w *Writer) record(ctx context.Context, tx *sql.Tx, ev *webhook.Event, now time.Time, room *batchRoom, direct bool) (webhook.Outcome, *forward.Message, error) {
	// 1. The claim: a live one makes the event a duplicate.
	first, err := dedupe.Claim(ctx, tx, ev.Key, now, ev.TTL)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	if !first {
		return webhook.Duplicate, nil, nil
	}
	// With dedupe.body_hash, the body's claim too: the same body under
	// another ID is a duplicate (its ID stays claimed: a retry of it is
	// one as well).
	if ev.BodyKey != "" {
		first, err := dedupe.Claim(ctx, tx, ev.BodyKey, now, ev.TTL)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: %w", ErrStorage, err)
		}
		if !first {
			return webhook.Duplicate, nil, nil
		}
	}
	// 2. Last writer wins, per entity.
	if ev.Ordered {
		apply, err := ordering.Apply(ctx, tx, ev.Entity, ev.Version, ev.VersionKind, ev.DropTies, now, ev.TTL)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: %w", ErrStorage, err)
		}
		if !apply {
			m, err := w.keepStale(ctx, tx, ev, now, room, direct)
			return webhook.Stale, m, err
		}
	}
	// 3. The messages (the event's own and its route copies), into the
	// outbox and within its bound; or, when direct, left for the batch's
	// publish with their outbox room reserved (the outbox takes what the
	// stream does not). An event dropped by a route forwards nothing.
	if ev.Drop {
		return webhook.Accepted, nil, nil
	}
	n, size := 1+len(ev.Copies), len(ev.Message.Body)
	for _, c := range ev.Copies {
		size += len(c.Body)
	}
	if err := room.take(n, size); err != nil {
		return 0, nil, err
	}
	for i := range n { // the copies, then the event's own (webhook.Event.Outgoing)
		m := &ev.Message
		if i < len(ev.Copies) {
			m = &ev.Copies[i]
		}
		if err := queue(ctx, tx, *m, now, direct); err != nil {
			return 0, nil, err
		}
	}
	return webhook.Accepted, nil, nil
}

// queue enqueues m in the outbox, or, when the batch publishes itself
// (direct), only checks that it could be.
func queue(ctx context.Context, tx *sql.Tx, m forward.Message, now time.Time, direct bool) error {
	var err error
	if direct {
		err = forward.Check(m)
	} else {
		err = forward.Enqueue(ctx, tx, m, now)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, forward.ErrInvalidMessage):
		return err // the request's own content: retrying cannot help
	default:
		return fmt.Errorf("%w: %w", ErrStorage, err)
	}
}

// keepStale stores the message of a stale event kept by ordering.stale
// forward (none otherwise), marked with its entity's current version: in
// the outbox, or for the batch's publish when direct.
func (w *Writer) keepStale(ctx context.Context, tx *sql.Tx, ev *webhook.Event, now time.Time, room *batchRoom, direct bool) (*forward.Message, error) {
	if ev.StaleSubject == "" || ev.Drop {
		return nil, nil
	}
	current, _, err := ordering.Current(ctx, tx, ev.Entity, now)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	m, _ := ev.StaleMessage(current)
	if err := room.take(1, len(m.Body)); err != nil {
		return nil, err
	}
	if err := queue(ctx, tx, m, now, direct); err != nil {
		return nil, err
	}
	return &m, nil
}

// archive records the decision in the archive table (4.), when it is on.
// A stale event that was kept (ordering.stale forward) is archived as the
// message it was forwarded as, which a replay sends again.
func archive(ctx context.Context, tx *sql.Tx, ev *webhook.Event, o webhook.Outcome, kept *forward.Message, now time.Time) error {
	var err error
	if o == webhook.Duplicate {
		err = forward.ArchiveDuplicate(ctx, tx, ev.Message.ID)
	} else {
		m := ev.Message
		if kept != nil {
			m = *kept
		}
		err = forward.Archive(ctx, tx, forward.Record{
			Provider: ev.Provider, EventID: ev.ID, EventType: ev.Type, Status: o.String(),
			Message: m, ReceivedAt: now,
		})
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStorage, err)
	}
	return nil
}
