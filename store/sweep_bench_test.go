package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
)

// BenchmarkSweepStall measures how long the sweeper holds up the writer:
// it fills processed_events and entity_versions with a million expired rows
// each, then times every Decide of a single client while the sweeper
// deletes them all, against the same client with nothing to sweep. Run it
// once: go test -run '^$' -bench SweepStall -benchtime 1x ./store
func BenchmarkSweepStall(b *testing.B) {
	const expired = 1_000_000
	for b.Loop() {
		db, err := Open(context.Background(), b.TempDir(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		fill(b, db, expired)
		w := &Writer{DB: db.Write, Outbox: &forward.Counter{}}
		w.Start()

		baseline := decideFor(b, w, "base", 2*time.Second, nil)
		swept := make(chan int)
		sweepStart := time.Now()
		go func() {
			n, err := Sweep(context.Background(), db.Write, time.Now(), time.Time{})
			if err != nil {
				b.Error(err)
			}
			swept <- n
		}()
		during := decideFor(b, w, "sweep", 0, swept)
		sweepTime := time.Since(sweepStart)

		b.ReportMetric(float64(baseline.max.Microseconds())/1000, "base-max-ms")
		b.ReportMetric(float64(during.max.Microseconds())/1000, "sweep-max-ms")
		b.ReportMetric(float64(during.p99.Microseconds())/1000, "sweep-p99-ms")
		b.ReportMetric(float64(baseline.p99.Microseconds())/1000, "base-p99-ms")
		b.ReportMetric(sweepTime.Seconds(), "sweep-s")
		b.Logf("sweeping %d expired rows per table took %s; writer max stall %s (p99 %s) against %s (p99 %s) without sweeping; %d decides during the sweep",
			expired, sweepTime.Round(time.Millisecond), during.max, during.p99, baseline.max, baseline.p99, during.n)
		w.Close()
		db.Close()
	}
}

// fill inserts n expired rows into each swept table.
func fill(tb testing.TB, db *DB, n int) {
	tb.Helper()
	tx, err := db.Write.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	past := time.Now().Add(-time.Hour).UnixNano()
	for _, q := range []string{
		`INSERT INTO processed_events (key, expires_at) VALUES (?, ?)`,
		`INSERT INTO entity_versions (entity, version, expires_at) VALUES (?, 1, ?)`,
	} {
		st, err := tx.Prepare(q)
		if err != nil {
			tb.Fatal(err)
		}
		for i := range n {
			if _, err := st.Exec(fmt.Sprintf("old:%d", i), past); err != nil {
				tb.Fatal(err)
			}
		}
		st.Close()
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

type latencies struct {
	n        int
	max, p99 time.Duration
}

// decideFor runs Decide in a loop for d, or until done delivers, and
// returns the latency profile.
func decideFor(tb testing.TB, w *Writer, prefix string, d time.Duration, done <-chan int) latencies {
	tb.Helper()
	var ls []time.Duration
	end := time.Now().Add(d)
loop:
	for i := 0; ; i++ {
		if done == nil && time.Now().After(end) {
			break
		}
		select {
		case <-done: // nil when timed: never ready
			break loop
		default:
		}
		start := time.Now()
		if _, err := w.Decide(context.Background(), testEvent(fmt.Sprintf("%s-%d", prefix, i), "", 0)); err != nil {
			tb.Fatal(err)
		}
		ls = append(ls, time.Since(start))
	}
	var out latencies
	out.n = len(ls)
	if len(ls) == 0 {
		return out
	}
	sorted := slices.Clone(ls)
	slices.Sort(sorted)
	out.max = sorted[len(sorted)-1]
	out.p99 = sorted[len(sorted)*99/100]
	return out
}
