package forward

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ReplaySubjects returns the distinct subjects a replay of q publishes on
// (q.Status and q.Limit are ignored): without a subject override, those of
// the archived events it sends (accepted ones, and stale ones forwarded
// marked); with one, the override and the subjects of those stale events,
// which keep theirs (see ReplayPage).
func ReplaySubjects(ctx context.Context, db Rows, q Query, subject string) ([]string, error) {
	q.Limit = 0
	where, args := q.replayWhere()
	if subject != "" {
		where += " AND status = 'stale'"
	}
	subjects, err := collect(ctx, db, "replay subjects", "SELECT DISTINCT subject FROM archive"+where, args,
		func(rows *sql.Rows) (s string, err error) { return s, rows.Scan(&s) })
	if err != nil || subject == "" {
		return subjects, err
	}
	return append([]string{subject}, subjects...), nil
}

// ReplayRows is what one replay still has in the outbox.
type ReplayRows struct {
	ID     string
	Rows   int64 // rows not yet acknowledged by NATS
	Bytes  int64 // their body bytes
	Oldest time.Time
}

// Replays returns, for every replay with rows still in the outbox, how
// many rows and bytes wait, oldest replay first.
func Replays(ctx context.Context, db Rows) ([]ReplayRows, error) {
	return collect(ctx, db, "replays", `SELECT replay, count(*), coalesce(sum(length(body)), 0), min(created_at)
		FROM outbox WHERE replay IS NOT NULL GROUP BY replay ORDER BY min(seq)`, nil,
		func(rows *sql.Rows) (ReplayRows, error) {
			var (
				r      ReplayRows
				oldest int64
			)
			err := rows.Scan(&r.ID, &r.Rows, &r.Bytes, &oldest)
			r.Oldest = time.Unix(0, oldest)
			return r, err
		})
}

// cancelBatch is the most rows CancelReplay deletes per statement, so that
// a large replay's cancellation never holds the write lock long.
const cancelBatch = 1000

// CancelReplay deletes the rows of the replay id that are still in the
// outbox, a batch at a time, each batch its own transaction (so that a
// large replay's cancellation never holds the write lock long). Rows the
// relay has already published are not recalled. It returns how many rows
// it deleted and their body bytes.
func CancelReplay(ctx context.Context, db *sql.DB, id string) (n, bytes int64, err error) {
	for {
		batch, size, err := cancelReplayBatch(ctx, db, id)
		n, bytes = n+batch, bytes+size
		if err != nil || batch == 0 {
			return n, bytes, err
		}
	}
}

func cancelReplayBatch(ctx context.Context, db *sql.DB, id string) (n, bytes int64, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("forward: cancel replay %s: %w", id, err)
	}
	defer tx.Rollback()
	const batch = `SELECT seq FROM outbox WHERE replay = ? ORDER BY seq LIMIT ?`
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(length(body)), 0) FROM outbox WHERE seq IN (`+batch+`)`,
		id, cancelBatch).Scan(&n, &bytes); err != nil {
		return 0, 0, fmt.Errorf("forward: cancel replay %s: %w", id, err)
	}
	if n == 0 {
		return 0, 0, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE seq IN (`+batch+`)`, id, cancelBatch); err != nil {
		return 0, 0, fmt.Errorf("forward: cancel replay %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("forward: cancel replay %s: %w", id, err)
	}
	return n, bytes, nil
}
