package dedupe_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/hookgate/hookgate/dedupe"
	"github.com/hookgate/hookgate/internal/testkit"
)

// mustDB opens a temp-file SQLite database with the package's migrations.
func mustDB(tb testing.TB) *sql.DB { return testkit.MigratedDB(tb, dedupe.Migrations) }

func TestClaim(t *testing.T) {
	ctx := context.Background()
	db := mustDB(t)
	t0 := time.Unix(1_700_000_000, 0)
	ttl := time.Hour

	steps := []struct {
		name  string
		key   string
		at    time.Time
		first bool
	}{
		{"first claim", "p:a", t0, true},
		{"retry within ttl", "p:a", t0.Add(30 * time.Minute), false},
		{"other key", "p:b", t0, true},
		{"just before expiry", "p:a", t0.Add(ttl - time.Nanosecond), false},
		{"at expiry", "p:a", t0.Add(ttl), true},
		{"renewed entry is live", "p:a", t0.Add(ttl + time.Minute), false},
		{"same id other provider", "q:a", t0, true},
	}
	for _, s := range steps {
		got, err := dedupe.Claim(ctx, db, s.key, s.at, ttl)
		if err != nil {
			t.Fatalf("%s: Claim(%q) error: %v", s.name, s.key, err)
		}
		if got != s.first {
			t.Errorf("%s: Claim(%q) = %v; want %v", s.name, s.key, got, s.first)
		}
	}
}

// TestClaimLongTTL: a TTL that takes now+ttl past what Unix nanoseconds
// hold (the configuration refuses one, this is the defence) keeps the
// claim until then, rather than wrapping around into the past: a retry is
// still a duplicate.
func TestClaimLongTTL(t *testing.T) {
	ctx := context.Background()
	db := mustDB(t)
	now := time.Now()
	for _, ttl := range []time.Duration{2_200_000 * time.Hour, math.MaxInt64} {
		key := fmt.Sprintf("p:%d", ttl)
		for i, want := range []bool{true, false} {
			got, err := dedupe.Claim(ctx, db, key, now.Add(time.Duration(i)*time.Hour), ttl)
			if err != nil || got != want {
				t.Errorf("claim %d with ttl %s = %v, %v; want %v", i, ttl, got, err, want)
			}
		}
	}
}

func TestClaimRejectsBadArguments(t *testing.T) {
	db := mustDB(t)
	for _, c := range []struct {
		name string
		key  string
		ttl  time.Duration
	}{
		{"empty key", "", time.Hour},
		{"zero ttl", "p:a", 0},
		{"negative ttl", "p:a", -time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := dedupe.Claim(context.Background(), db, c.key, time.Now(), c.ttl)
			if !errors.Is(err, dedupe.ErrInvalid) {
				t.Fatalf("Claim = %v; want ErrInvalid", err)
			}
		})
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM processed_events`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows after rejected claims = %d, %v; want 0", n, err)
	}
}

// TestClaimConcurrent has 50 goroutines claim one ID, each in its own
// transaction: exactly one must see a first claim.
func TestClaimConcurrent(t *testing.T) {
	db := mustDB(t)
	now := time.Now()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		firsts int
		errs   []error
	)
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			first, err := claimTx(db, "p:same", now)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if first {
				firsts++
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d claims failed, first: %v", len(errs), errs[0])
	}
	if firsts != 1 {
		t.Fatalf("first claims = %d; want 1", firsts)
	}
}

func claimTx(db *sql.DB, key string, now time.Time) (bool, error) {
	tx, err := db.Begin()
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	first, err := dedupe.Claim(context.Background(), tx, key, now, time.Hour)
	if err != nil {
		return false, err
	}
	return first, tx.Commit()
}

func TestClaimRolledBackLeavesNothing(t *testing.T) {
	db := mustDB(t)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if first, err := dedupe.Claim(context.Background(), tx, "p:x", time.Now(), time.Hour); err != nil || !first {
		t.Fatalf("Claim = %v, %v; want true, nil", first, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	first, err := claimTx(db, "p:x", time.Now())
	if err != nil || !first {
		t.Fatalf("Claim after rollback = %v, %v; want true, nil", first, err)
	}
}

func TestSweep(t *testing.T) {
	ctx := context.Background()
	db := mustDB(t)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 25 {
		ttl := time.Minute
		if i%5 == 0 {
			ttl = time.Hour // 5 live entries
		}
		if _, err := dedupe.Claim(ctx, db, fmt.Sprintf("p:%d", i), t0, ttl); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(2 * time.Minute)
	var total, rounds int
	for {
		n := testkit.Sweep(t, db, dedupe.SweepStatement, now, 7)
		if n > 7 {
			t.Fatalf("Sweep deleted %d; want at most the limit 7", n)
		}
		total += n
		rounds++
		if n < 7 {
			break
		}
	}
	if total != 20 || rounds != 3 {
		t.Fatalf("swept %d rows in %d rounds; want 20 in 3", total, rounds)
	}
	// The live entries still count as duplicates.
	for i := 0; i < 25; i += 5 {
		first, err := dedupe.Claim(ctx, db, fmt.Sprintf("p:%d", i), now, time.Hour)
		if err != nil || first {
			t.Errorf("Claim(p:%d) after sweep = %v, %v; want false (still live)", i, first, err)
		}
	}
}

func BenchmarkClaim(b *testing.B) {
	db := mustDB(b)
	ctx := context.Background()
	now := time.Now()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := dedupe.Claim(ctx, tx, fmt.Sprintf("p:%d", i), now, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
