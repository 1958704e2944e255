package ordering_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"path/filepath"
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
	const (
		number = ordering.Number
		tim    = ordering.Time
	)
	for _, c := range []struct {
		raw    string
		format ordering.Format
		want   int64
		kind   ordering.Kind
		bad    bool
	}{
		{"2024-03-01T12:00:00.5Z", ordering.Auto, tm.UnixMicro(), tim, false},
		{"2024-03-01T13:00:00.5+01:00", ordering.Auto, tm.UnixMicro(), tim, false},
		{"2024-03-01T12:00:00.5Z", ordering.RFC3339, tm.UnixMicro(), tim, false},
		{"42", ordering.Auto, 42, number, false},
		{" 42 ", ordering.Sequence, 42, number, false},
		{"1709294400", ordering.Auto, 1709294400, number, false}, // a number of unknown unit
		{"1709294400", ordering.Unix, 1709294400_000000, tim, false},
		{"1709294400500", ordering.UnixMs, tm.UnixMicro(), tim, false},
		{"1709294400", ordering.RFC3339, 0, 0, true}, // a number's unit is unknown under rfc3339
		{"2024-03-01T12:00:00.5Z", ordering.Unix, tm.UnixMicro(), tim, false},
		{"2024-03-01T12:00:00.5Z", ordering.UnixMs, tm.UnixMicro(), tim, false},
		{"1969-12-31T23:59:59Z", ordering.RFC3339, -1_000_000, tim, false},
		{"2024-03-01T12:00:00.5000009Z", ordering.RFC3339, tm.UnixMicro(), tim, false}, // to the microsecond, as the README says
		{"0000-01-01T00:00:00Z", ordering.RFC3339, time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(), tim, false},
		{"9999-12-31T23:59:59Z", ordering.RFC3339, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).UnixMicro(), tim, false},
		{"2024-03-01T12:00:00.5Z", ordering.Sequence, 0, 0, true},
		{"yesterday", ordering.Unix, 0, 0, true},
		{"yesterday", ordering.RFC3339, 0, 0, true},
		{"", ordering.Auto, 0, 0, true},
		{"-1", ordering.Auto, 0, 0, true},
		{"1.5", ordering.Sequence, 0, 0, true},
		{"yesterday", ordering.Auto, 0, 0, true},
		{"99999999999999999999", ordering.Sequence, 0, 0, true},
		{"9223372036854775807", ordering.Unix, 0, 0, true},
	} {
		t.Run(string(c.format)+"/"+c.raw, func(t *testing.T) {
			got, kind, err := ordering.ParseVersion(c.raw, c.format)
			if c.bad {
				if !errors.Is(err, ordering.ErrVersion) {
					t.Fatalf("ParseVersion(%q, %s) = %d, %v; want ErrVersion", c.raw, c.format, got, err)
				}
				return
			}
			if err != nil || got != c.want || kind != c.kind {
				t.Fatalf("ParseVersion(%q, %s) = %d, %s, %v; want %d, %s", c.raw, c.format, got, kind, err, c.want, c.kind)
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
		a, ak, err := ordering.ParseVersion(c.raw, c.format)
		b, bk, _ := ordering.ParseVersion(instant, ordering.RFC3339)
		if err != nil || a != b || ak != bk {
			t.Errorf("ParseVersion(%q, %s) = %d, %s, %v; want %d, %s: rfc3339's %s", c.raw, c.format, a, ak, err, b, bk, instant)
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
				got, err := ordering.Apply(ctx, db, s.entity, s.version, ordering.Number, c.dropTies, t0.Add(s.at), ttl)
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

// TestApplyKinds: versions of two kinds do not compare, so an entity's
// version of another kind than its last (a provider's ordering.format
// changed) is taken as its first: forwarded and recorded, even when its
// number is lower. AnyKind (a version recorded before kinds) compares with
// both kinds.
func TestApplyKinds(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	// Stripe's created under unix (a time), then under auto (a number).
	unix, unixKind, _ := ordering.ParseVersion("1709294400", ordering.Unix)
	auto, autoKind, _ := ordering.ParseVersion("1709294999", ordering.Auto)
	type step struct {
		version int64
		kind    ordering.Kind
		forward bool
	}
	for _, c := range []struct {
		name     string
		dropTies bool
		steps    []step
	}{
		{"format changed", false, []step{
			{unix, unixKind, true},
			{auto, autoKind, true},           // newer, whatever the numbers say
			{auto - 1, autoKind, false},      // numbers compare with numbers
			{unix - 1, unixKind, true},       // back to times: the first again
			{unix - 2, ordering.Time, false}, // times with times
		}},
		{"another kind is no tie", true, []step{
			{5, ordering.Number, true},
			{5, ordering.Time, true},
			{5, ordering.Time, false},
		}},
		{"any kind compares with all", false, []step{
			{100, ordering.AnyKind, true},
			{50, ordering.Number, false},
			{50, ordering.Time, false},
			{200, ordering.Time, true},
			{150, ordering.AnyKind, false},
			{150, ordering.Number, true},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := mustDB(t)
			for i, s := range c.steps {
				got, err := ordering.Apply(ctx, db, "e", s.version, s.kind, c.dropTies, now, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				if got != s.forward {
					t.Errorf("step %d: Apply(%d, %s) = %v; want %v", i, s.version, s.kind, got, s.forward)
				}
			}
		})
	}
}

// TestMigrationKeepsVersions: a version recorded before kinds (migration
// 001 alone) is kept by the migrations after it, and compares with the
// versions that come after, of either kind, as a plain integer.
func TestMigrationKeepsVersions(t *testing.T) {
	ctx := context.Background()
	files, err := fs.Glob(ordering.Migrations, "migrations/*.sql")
	if err != nil || len(files) < 2 {
		t.Fatalf("migrations %v, %v; want 001 and more", files, err)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	apply := func(f string) {
		b, err := fs.ReadFile(ordering.Migrations, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatalf("apply %s: %v", f, err)
		}
	}
	now := time.Unix(1_700_000_000, 0)
	apply(files[0])
	if _, err := db.Exec(`INSERT INTO entity_versions (entity, version, expires_at) VALUES ('p:e', 1709294400000000, ?)`,
		now.Add(time.Hour).UnixNano()); err != nil {
		t.Fatal(err)
	}
	for _, f := range files[1:] {
		apply(f)
	}
	for i, s := range []struct {
		version int64
		kind    ordering.Kind
		forward bool
	}{
		{1709294399000000, ordering.Time, false},
		{1709294999, ordering.Number, false},
		{1709294401000000, ordering.Time, true},
		{1709294999, ordering.Number, true}, // the entry has a kind now
	} {
		got, err := ordering.Apply(ctx, db, "p:e", s.version, s.kind, false, now, time.Hour)
		if err != nil || got != s.forward {
			t.Errorf("step %d: Apply(%d, %s) = %v, %v; want %v", i, s.version, s.kind, got, err, s.forward)
		}
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
		fwd, err := ordering.Apply(ctx, tx, e.entity, e.version, ordering.Number, false, now, time.Hour)
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
		if _, err := ordering.Apply(ctx, db, fmt.Sprintf("p:%d", i), 1, ordering.Number, false, t0, ttl); err != nil {
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
	fwd, err := ordering.Apply(ctx, db, "p:0", 0, ordering.Number, false, t0.Add(2*time.Minute), time.Hour)
	if err != nil || fwd {
		t.Fatalf("Apply(older) on live entity after sweep = %v, %v; want false", fwd, err)
	}
}

// TestApplyLongTTL: a TTL that takes now+ttl past what Unix nanoseconds
// hold keeps the entity's version until then, rather than wrapping around
// into the past: an older version is still stale.
func TestApplyLongTTL(t *testing.T) {
	ctx := context.Background()
	db := mustDB(t)
	now := time.Now()
	for _, ttl := range []time.Duration{2_200_000 * time.Hour, math.MaxInt64} {
		e := fmt.Sprintf("p:%d", ttl)
		for i, s := range []struct {
			version int64
			forward bool
		}{{5, true}, {4, false}} {
			got, err := ordering.Apply(ctx, db, e, s.version, ordering.Number, false, now.Add(time.Duration(i)*time.Hour), ttl)
			if err != nil || got != s.forward {
				t.Errorf("Apply(%d) with ttl %s = %v, %v; want %v", s.version, ttl, got, err, s.forward)
			}
		}
	}
}

func TestApplyRejectsBadArguments(t *testing.T) {
	db := mustDB(t)
	if _, err := ordering.Apply(context.Background(), db, "", 1, ordering.Number, false, time.Now(), time.Hour); !errors.Is(err, ordering.ErrInvalid) {
		t.Errorf("Apply(empty entity) = %v; want ErrInvalid", err)
	}
	if _, err := ordering.Apply(context.Background(), db, "e", 1, ordering.Number, false, time.Now(), 0); !errors.Is(err, ordering.ErrInvalid) {
		t.Errorf("Apply(ttl 0) = %v; want ErrInvalid", err)
	}
}
