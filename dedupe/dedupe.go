// Package dedupe records which events have been processed, so that a
// provider's retry of an event is recognised as a duplicate for as long as
// its entry lives (the TTL).
//
// The package owns the processed_events table and its migrations. Its
// functions run on a caller's transaction, so a claim commits or rolls back
// together with the rest of the caller's decision. They are safe for
// concurrent use to the extent the transaction passed in is.
package dedupe

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"math"
	"time"
)

// Migrations holds the versioned schema of the processed_events table, one
// file per version, applied in name order.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// ErrInvalid is returned for arguments that cannot be recorded.
var ErrInvalid = errors.New("dedupe: invalid argument")

// Execer is the part of *sql.Tx or *sql.DB that the package needs.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Claim records key as processed until now+ttl. It returns true when this is
// the first claim: the key was absent, or its previous entry had expired (in
// which case the entry is renewed). It returns false when a live entry exists,
// which leaves that entry unchanged. A ttl that would take the expiry past
// what Unix nanoseconds hold (the year 2262) keeps the entry until then.
func Claim(ctx context.Context, tx Execer, key string, now time.Time, ttl time.Duration) (bool, error) {
	if key == "" {
		return false, fmt.Errorf("%w: empty key", ErrInvalid)
	}
	if ttl <= 0 {
		return false, fmt.Errorf("%w: ttl %s is not positive", ErrInvalid, ttl)
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO processed_events (key, expires_at) VALUES (?1, ?2)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
		WHERE processed_events.expires_at <= ?3`,
		key, expiry(now, ttl), now.UnixNano())
	if err != nil {
		return false, fmt.Errorf("dedupe: claim %q: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("dedupe: claim %q: %w", key, err)
	}
	return n == 1, nil
}

// expiry is now+ttl in Unix nanoseconds, or the latest there is (in the
// year 2262) when that is past it: never a time that wrapped around into
// the past, which would make an entry born expired.
func expiry(now time.Time, ttl time.Duration) int64 {
	n := now.UnixNano()
	if int64(ttl) > math.MaxInt64-max(n, 0) {
		return math.MaxInt64
	}
	return n + int64(ttl)
}

// SweepStatement deletes at most ?2 entries that expired at or before ?1
// (Unix nanoseconds). Run it repeatedly, each time in its own short
// transaction, until it deletes fewer than ?2 rows, so that writers are
// never held up for long.
const SweepStatement = `DELETE FROM processed_events WHERE key IN (
	SELECT key FROM processed_events WHERE expires_at <= ?1 LIMIT ?2)`
