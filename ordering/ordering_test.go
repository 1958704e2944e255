package ordering_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/ordering"
)

// mustDB opens a temp-file SQLite database with the package's migrations.
func mustDB(tb testing.TB) *sql.DB { return testkit.MigratedDB(tb, ordering.Migrations) }

func TestParseVersion(t *testing.T) {
	tm := time.Date(2024, 3, 1, 12, 0, 0, 500_000_000, time.UTC)
	for _, c := range []struct {
		raw    string
		format ordering.Format
		want   int64
		bad    bool
	}{
		{"2024-03-01T12:00:00.5Z", ordering.Auto, tm.UnixMicro(), false},
		{"2024-03-01T13:00:00.5+01:00", ordering.Auto, tm.UnixMicro(), false},
		{"2024-03-01T12:00:00.5Z", ordering.RFC3339, tm.UnixMicro(), false},
		{"42", ordering.Auto, 42, false},
		{" 42 ", ordering.Sequence, 42, false},
		{"1709294400", ordering.Unix, 1709294400_000000, false},
		{"1709294400500", ordering.UnixMs, tm.UnixMicro(), false},
		{"1709294400", ordering.RFC3339, 0, true}, // a number's unit is unknown under rfc3339
		{"2024-03-01T12:00:00.5Z", ordering.Unix, tm.UnixMicro(), false},
		{"2024-03-01T12:00:00.5Z", ordering.UnixMs, tm.UnixMicro(), false},
		{"2024-03-01T12:00:00.5Z", ordering.Sequence, 0, true},
		{"yesterday", ordering.Unix, 0, true},
		{"yesterday", ordering.RFC3339, 0, true},
		{"", ordering.Auto, 0, true},
		{"-1", ordering.Auto, 0, true},
		{"1.5", ordering.Sequence, 0, true},
		{"yesterday", ordering.Auto, 0, true},
		{"99999999999999999999", ordering.Sequence, 0, true},
		{"9223372036854775807", ordering.Unix, 0, true},
	} {
		t.Run(string(c.format)+"/"+c.raw, func(t *testing.T) {
			got, err := ordering.ParseVersion(c.raw, c.format)
			if c.bad {
				if !errors.Is(err, ordering.ErrVersion) {
					t.Fatalf("ParseVersion(%q, %s) = %d, %v; want ErrVersion", c.raw, c.format, got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseVersion(%q, %s) = %d, %v; want %d", c.raw, c.format, got, err, c.want)
			}
		})
	}
	// Unix numbers and RFC 3339 times share a scale under the time
	// formats, and can be mixed for one entity under unix and unix_ms.
	const instant = "2024-03-01T12:00:00Z"
	for _, c := range []struct {
		raw    string
		format ordering.Format
	}{
		{"1709294400", ordering.Unix},
		{"1709294400000", ordering.UnixMs},
		{instant, ordering.Unix},
		{instant, ordering.UnixMs},
		{instant, ordering.Auto},
	} {
		a, err := ordering.ParseVersion(c.raw, c.format)
		b, _ := ordering.ParseVersion(instant, ordering.RFC3339)
		if err != nil || a != b {
			t.Errorf("ParseVersion(%q, %s) = %d, %v; want %d, rfc3339's %s", c.raw, c.format, a, err, b, instant)
		}
	}
	if _, err := ordering.ParseFormat("weekly"); !errors.Is(err, ordering.ErrInvalid) {
		t.Errorf("ParseFormat(weekly) = %v; want ErrInvalid", err)
	}
}

func TestApply(t *testing.T) {
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	ttl := time.Hour
	type step struct {
		entity  string
		version int64
		at      time.Duration
		forward bool
	}
	for _, c := range []struct {
		name     string
		dropTies bool
		steps    []step
	}{
		{"in order", false, []step{{"e", 1, 0, true}, {"e", 2, 0, true}, {"e", 3, 0, true}}},
		{"out of order", false, []step{{"e", 3, 0, true}, {"e", 1, 0, false}, {"e", 2, 0, false}, {"e", 4, 0, true}, {"e", 3, 0, false}}},
		{"ties forwarded", false, []step{{"e", 5, 0, true}, {"e", 5, 0, true}, {"e", 4, 0, false}}},
		{"ties dropped", true, []step{{"e", 5, 0, true}, {"e", 5, 0, false}, {"e", 6, 0, true}}},
		{"entities independent", false, []step{{"a", 9, 0, true}, {"b", 1, 0, true}, {"a", 8, 0, false}, {"b", 2, 0, true}}},
		{"expired entry forgets", false, []step{{"e", 9, 0, true}, {"e", 1, 30 * time.Minute, false}, {"e", 1, 2 * time.Hour, true}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := mustDB(t)
			for i, s := range c.steps {
				got, err := ordering.Apply(ctx, db, s.entity, s.version, c.dropTies, t0.Add(s.at), ttl)
				if err != nil {
					t.Fatal(err)
				}
				if got != s.forward {
					t.Errorf("step %d: Apply(%s, %d) = %v; want %v", i, s.entity, s.version, got, s.forward)
				}
			}
		})
	}
}

// TestApplyShuffled applies every version of many entities in random order
// and checks that the recorded version is each entity's highest and that no
// forwarded version was older than one forwarded before it.
func TestApplyShuffled(t *testing.T) {
	ctx := context.Background()
	db := mustDB(t)
	type ev struct {
		entity  string
		version int64
	}
	var evs []ev
	for e := range 100 {
		for v := range 10 {
			evs = append(evs, ev{fmt.Sprintf("p:%d", e), int64(v)})
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	last := map[string]int64{}
	now := time.Now()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, e := range evs {
		fwd, err := ordering.Apply(ctx, tx, e.entity, e.version, false, now, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		prev, seen := last[e.entity]
		if fwd {
			if seen && e.version < prev {
				t.Fatalf("forwarded %s v%d after v%d", e.entity, e.version, prev)
			}
			last[e.entity] = e.version
		} else if !seen || e.version >= prev {
			t.Fatalf("dropped %s v%d though last forwarded is %d (seen %v)", e.entity, e.version, prev, seen)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT entity, version FROM entity_versions`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var e string
		var v int64
		if err := rows.Scan(&e, &v); err != nil {
			t.Fatal(err)
		}
		if v != 9 {
			t.Errorf("entity %s recorded v%d; want 9", e, v)
		}
		n++
	}
	if n != 100 {
		t.Fatalf("%d entities recorded; want 100", n)
	}
}

func TestSweep(t *testing.T) {
	ctx := context.Background()
	db := mustDB(t)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 10 {
		ttl := time.Minute
		if i < 3 {
			ttl = time.Hour
		}
		if _, err := ordering.Apply(ctx, db, fmt.Sprintf("p:%d", i), 1, false, t0, ttl); err != nil {
			t.Fatal(err)
		}
	}
	if n := testkit.Sweep(t, db, ordering.SweepStatement, t0.Add(2*time.Minute), 4); n != 4 {
		t.Fatalf("sweep = %d; want 4", n)
	}
	if n := testkit.Sweep(t, db, ordering.SweepStatement, t0.Add(2*time.Minute), 100); n != 3 {
		t.Fatalf("second sweep = %d; want 3", n)
	}
	// A live entity keeps its version.
	fwd, err := ordering.Apply(ctx, db, "p:0", 0, false, t0.Add(2*time.Minute), time.Hour)
	if err != nil || fwd {
		t.Fatalf("Apply(older) on live entity after sweep = %v, %v; want false", fwd, err)
	}
}

func TestApplyRejectsBadArguments(t *testing.T) {
	db := mustDB(t)
	if _, err := ordering.Apply(context.Background(), db, "", 1, false, time.Now(), time.Hour); !errors.Is(err, ordering.ErrInvalid) {
		t.Errorf("Apply(empty entity) = %v; want ErrInvalid", err)
	}
	if _, err := ordering.Apply(context.Background(), db, "e", 1, false, time.Now(), 0); !errors.Is(err, ordering.ErrInvalid) {
		t.Errorf("Apply(ttl 0) = %v; want ErrInvalid", err)
	}
}
