package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/hookgate/hookgate/dedupe"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/ordering"
)

// sweepBatch is the most rows one sweep statement deletes.
const sweepBatch = 500

// Sweep deletes every expired processed-event claim and entity version
// (at now), and every archived event received before archiveBefore, in
// statements of sweepBatch rows, so that it never holds the write
// connection long: writers go between its statements. It returns how many
// rows it deleted, also when ctx ends it early or a statement fails.
func Sweep(ctx context.Context, db *sql.DB, now, archiveBefore time.Time) (int, error) {
	steps := []struct {
		what, statement string
		at              time.Time
	}{
		{"dedupe claims", dedupe.SweepStatement, now},
		{"entity versions", ordering.SweepStatement, now},
		{"archive", forward.SweepArchiveStatement, archiveBefore},
	}
	total := 0
	for _, s := range steps {
		for ctx.Err() == nil {
			res, err := db.ExecContext(ctx, s.statement, s.at.UnixNano(), sweepBatch)
			if err != nil {
				return total, fmt.Errorf("store: sweep %s: %w", s.what, err)
			}
			n, err := res.RowsAffected()
			total += int(n)
			if err != nil {
				return total, fmt.Errorf("store: sweep %s: %w", s.what, err)
			}
			if n < sweepBatch {
				break
			}
		}
	}
	return total, nil
}
