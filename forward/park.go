package forward

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Parked is an outbox row that the relay moved aside after the NATS server
// refused it [Relay.ParkAfter] times in a row.
type Parked struct {
	// Seq is the row's outbox sequence number; it identifies the parked
	// row.
	Seq       int64
	Message   Message
	CreatedAt time.Time // when the event was committed
	ParkedAt  time.Time
	// Replay is the ID of the replay the row belonged to ("" for an
	// accepted event).
	Replay   string
	Attempts int
	// Error is the last refusal, as the publisher reported it.
	Error string
}

// Refused reports whether err, from a [Publisher], says that the server
// will not take the message as it is: larger than its max_payload, an
// error answer from the stream (a header block or message over the
// stream's limits, a subject the stream does not take), or no stream
// answering on the subject. Losing the connection, a timeout, and the
// stream answers that say JetStream is busy, electing a leader or out of
// resources are not refusals: they pass.
//
// No stream answering (jetstream.ErrNoStreamResponse, nats.ErrNoResponders:
// see [NoStreamAnswered]) is a refusal only when no stream covers the
// subject (none ever did, or it was deleted); a stream that covers it may
// be unavailable for a while (its only server restarting, its leader
// moving), and answers no more then. So the [Relay] counts it towards
// parking a row only once a lookup ([StreamFinder]) says that no stream
// covers the subject; otherwise it retries as for a failure that passes.
func Refused(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, nats.ErrMaxPayload) || NoStreamAnswered(err) {
		return true
	}
	var api *jetstream.APIError
	if errors.As(err, &api) {
		return !transientAPIErrors[api.ErrorCode]
	}
	return false
}

// NoStreamAnswered reports whether err, from a [Publisher], says that no
// stream answered on the message's subject: no stream covers it, or the
// one that does is unavailable for now (see [Refused]).
func NoStreamAnswered(err error) bool {
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders)
}

// StreamFinder is a [Publisher] that can look up which stream stores what
// is published on a subject, as [JetStreamPublisher] does. The [Relay]
// asks it only after a publish that no stream answered
// ([NoStreamAnswered]), never on the way of a publish that succeeds.
type StreamFinder interface {
	// FindStream returns the name of a stream whose subjects cover
	// subject, "" when the server says that none does, or an error when it
	// could not tell (JetStream unavailable, no answer in time).
	FindStream(ctx context.Context, subject string) (string, error)
}

// transientAPIErrors are JetStream error codes that pass with time: the
// cluster without a leader or quorum, resources exhausted, a store failure
// (a stream at its limits with the discard-new policy).
var transientAPIErrors = map[jetstream.ErrorCode]bool{
	10005: true, // JSClusterNoPeersErr
	10006: true, // JSClusterNotActiveErr
	10008: true, // JSClusterNotAvailErr
	10009: true, // JSClusterNotLeaderErr
	10023: true, // JSInsufficientResourcesErr
	10028: true, // JSMemoryResourcesExceededErr
	10047: true, // JSStorageResourcesExceededErr
	10077: true, // JSStreamStoreFailedF (e.g. maximum messages exceeded)
}

// maxParkError bounds the refusal text kept with a parked row and logged.
const maxParkError = 512

// clip cuts s to n bytes at a character boundary, saying how long it was.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return fmt.Sprintf("%s... (%d bytes)", s[:n], len(s))
}

// park moves the outbox row seq aside in one transaction. It reports
// whether the row was still in the outbox.
func park(ctx context.Context, db *sql.DB, seq int64, attempts int, reason string, now time.Time) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("forward: park row %d: %w", seq, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox_parked
		(seq, msg_id, subject, header, body, created_at, replay, parked_at, attempts, error)
		SELECT seq, msg_id, subject, header, body, created_at, replay, ?, ?, ? FROM outbox WHERE seq = ?`,
		now.UnixNano(), attempts, clip(reason, maxParkError), seq)
	if err != nil {
		return false, fmt.Errorf("forward: park row %d: %w", seq, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil // deleted meanwhile (a cancelled replay)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE seq = ?`, seq); err != nil {
		return false, fmt.Errorf("forward: park row %d: %w", seq, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("forward: park row %d: %w", seq, err)
	}
	return true, nil
}

// ParkedQuery selects parked rows. Zero fields do not filter.
type ParkedQuery struct {
	Provider string // rows whose message ID is "<Provider>:..."
	After    int64  // rows with a seq above this (paging)
	Limit    int    // default 100
}

// ParkedRows returns the parked rows that match q, in seq order. With
// bodies false, Message.Header and Message.Body are left empty.
func ParkedRows(ctx context.Context, db Rows, q ParkedQuery, bodies bool) ([]Parked, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	cols := withBody("seq, msg_id, subject, created_at, coalesce(replay, ''), parked_at, attempts, error", bodies)
	where, args := " WHERE seq > ?", []any{q.After}
	if q.Provider != "" {
		prefix := q.Provider + ":"
		where += " AND substr(msg_id, 1, ?) = ?"
		args = append(args, len(prefix), prefix)
	}
	return collect(ctx, db, "parked rows", "SELECT "+cols+" FROM outbox_parked"+where+" ORDER BY seq LIMIT ?", append(args, q.Limit),
		func(rows *sql.Rows) (p Parked, err error) {
			var created, when int64
			err = scanMessage(rows, &p.Message, bodies, &p.Seq, &p.Message.ID, &p.Message.Subject, &created, &p.Replay, &when, &p.Attempts, &p.Error)
			if err != nil {
				return p, fmt.Errorf("row %d: %w", p.Seq, err)
			}
			p.CreatedAt, p.ParkedAt = time.Unix(0, created), time.Unix(0, when)
			return p, nil
		})
}

// ParkedCount returns the number of parked rows and the size of their
// bodies.
func ParkedCount(ctx context.Context, q Querier) (rows, bytes int64, err error) {
	err = q.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(length(body)), 0) FROM outbox_parked`).Scan(&rows, &bytes)
	if err != nil {
		return 0, 0, fmt.Errorf("forward: parked rows: %w", err)
	}
	return rows, bytes, nil
}

// Unpark moves parked rows back to the end of the outbox, in the caller's
// transaction, for the relay to publish again: the rows whose seq is in
// seqs, or every parked row when seqs is empty. Each keeps its message ID
// (so the stream drops it if it was stored after all) and gets a new outbox
// seq, after the rows already waiting. It returns the number of rows moved
// and their body bytes; a seq that is not parked is ignored.
func Unpark(ctx context.Context, tx interface {
	Execer
	Querier
}, seqs []int64, now time.Time) (n int64, bytes int64, err error) {
	where, args := "", []any{}
	if len(seqs) > 0 {
		where = " WHERE seq IN (?" + strings.Repeat(",?", len(seqs)-1) + ")"
		for _, s := range seqs {
			args = append(args, s)
		}
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(length(body)), 0) FROM outbox_parked`+where, args...).Scan(&n, &bytes); err != nil {
		return 0, 0, fmt.Errorf("forward: unpark: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (msg_id, subject, header, body, created_at, replay)
		SELECT msg_id, subject, header, body, ?, replay FROM outbox_parked`+where+` ORDER BY seq`, append([]any{now.UnixNano()}, args...)...); err != nil {
		return 0, 0, fmt.Errorf("forward: unpark: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox_parked`+where, args...); err != nil {
		return 0, 0, fmt.Errorf("forward: unpark: %w", err)
	}
	return n, bytes, nil
}
