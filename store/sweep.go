package store

import (
	"context"
	"database/sql"
	"time"

	"hookgate/dedupe"
	"hookgate/forward"
	"hookgate/ordering"
)

// sweepBatch is the most rows one sweep statement deletes.
const sweepBatch = 500

// Sweep deletes every expired processed-event claim and entity version
// (at now), and every archived event received before archiveBefore, in
// statements of sweepBatch rows, so that it never holds the write
// connection long: writers go between its statements. It returns how many
// rows it deleted, also when ctx ends it early or a statement fails.
func Sweep(ctx context.Context, db *sql.DB, now, archiveBefore time.Time) (int, error) {
	sweepers := []func(context.Context, int) (int, error){
		func(ctx context.Context, n int) (int, error) { return dedupe.Sweep(ctx, db, now, n) },
		func(ctx context.Context, n int) (int, error) { return ordering.Sweep(ctx, db, now, n) },
		func(ctx context.Context, n int) (int, error) { return forward.SweepArchive(ctx, db, archiveBefore, n) },
	}
	total := 0
	for _, sweep := range sweepers {
		for ctx.Err() == nil {
			n, err := sweep(ctx, sweepBatch)
			total += n
			if err != nil {
				return total, err
			}
			if n < sweepBatch {
				break
			}
		}
	}
	return total, nil
}
