package store

import (
	"context"
	"io/fs"
	"strings"
	"testing"
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
