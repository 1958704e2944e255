package store

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

func TestOpenDBMigrations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range schemas {
		if v, err := db.SchemaVersion(ctx, m.Component); err != nil || v < 1 {
			t.Errorf("SchemaVersion(%s) = %d, %v; want at least 1", m.Component, v, err)
		}
	}
	var mode string
	if err := db.Read.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var sync int
	if err := db.Write.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil || sync != 2 {
		t.Errorf("synchronous = %d, %v; want 2 (FULL)", sync, err)
	}
	db.Close()

	// Opening again applies nothing twice.
	db, err = Open(ctx, dir, Options{Synchronous: "normal"})
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	var n int
	if err := db.Read.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, m := range schemas {
		files, _ := fs.Glob(m.Files, "migrations/*.sql")
		want += len(files)
	}
	if n != want {
		t.Errorf("schema_migrations has %d rows; want %d, one per migration file", n, want)
	}

	// A database written by a newer hookgate is refused, not downgraded.
	if _, err := db.Write.Exec(`INSERT INTO schema_migrations (component, version) VALUES ('dedupe', 99)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, dir, Options{}); err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("Open on a newer schema = %v; want a refusal", err)
	}
}

// TestOpenBeside: a command beside a running gateway (Options.Beside)
// migrates nothing: it opens a database at this binary's versions, and
// refuses one behind or ahead of them, leaving it as it was (a migration
// would stop the gateway, an older binary, from starting again).
func TestOpenBeside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(ctx, dir, Options{Beside: true}); err != nil {
		t.Fatalf("Open beside, same versions: %v", err)
	}
	count := func() (n int) {
		t.Helper()
		if err := db.Read.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	all := count()
	// An older gateway's database: its last migration not applied.
	if _, err := db.Write.Exec(`DELETE FROM schema_migrations WHERE component = 'forward' AND version = (SELECT max(version) FROM schema_migrations WHERE component = 'forward')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, dir, Options{Beside: true}); err == nil || !strings.Contains(err.Error(), "forward schema is at version") {
		t.Fatalf("Open beside an older schema = %v; want a refusal naming forward's version", err)
	}
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, File))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != all-1 {
		t.Errorf("after the refusals schema_migrations has %d rows (%v); want %d, as left", n, err, all-1)
	}
}

// mustOpen opens the gateway database in a temp dir (a real SQLite file);
// it is closed when the test ends.
func mustOpen(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), tb.TempDir(), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestCheckpointInBackground: commits far below SQLite's own checkpoint
// (1000 pages) reach the database file itself, by the DB's checkpointer. An
// immutable connection reads the file alone, not the log.
func TestCheckpointInBackground(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Write.Exec(`CREATE TABLE ckpt (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	const rows = 20
	for i := range rows {
		if _, err := db.Write.Exec(`INSERT INTO ckpt (n) VALUES (?)`, i); err != nil {
			t.Fatal(err)
		}
	}
	file, err := sql.Open("sqlite3", "file:"+db.Path+"?immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	file.SetMaxOpenConns(1)
	testkit.WaitFor(t, 10*time.Second, testkit.Says("the rows in the database file"), func() bool {
		// A new connection each time: an immutable one caches the file.
		file.SetMaxIdleConns(0)
		var n int
		err := file.QueryRow(`SELECT count(*) FROM ckpt`).Scan(&n)
		return err == nil && n == rows
	})
}
