package gateway

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"hookgate/dedupe"
	"hookgate/forward"
	"hookgate/ordering"
)

// DBFile is the name of the SQLite file inside data_dir.
const DBFile = "hookgate.db"

// DB is hookgate's SQLite file: one connection that writes (every write in
// the process goes through it, so writers never wait on SQLite's lock) and a
// small pool that reads. Close it when done.
type DB struct {
	Path  string
	Write *sql.DB // exactly one connection
	Read  *sql.DB
}

// migrationSet is one component's embedded, versioned schema.
type migrationSet struct {
	component string
	files     fs.FS
}

// migrations lists every table owner. A component's versions are its files
// in name order, numbered from 1.
var migrations = []migrationSet{
	{"dedupe", dedupe.Migrations},
	{"ordering", ordering.Migrations},
	{"forward", forward.Migrations},
	{"gateway", quarantineMigrations},
}

// DBOptions tune OpenDB.
type DBOptions struct {
	Synchronous string        // "full" (default) or "normal"
	BusyTimeout time.Duration // how long a write waits for a lock held elsewhere (default 5s)
}

// OpenDB opens (creating if needed) the database in dir, in WAL mode, and
// applies pending migrations.
func OpenDB(ctx context.Context, dir string, o DBOptions) (*DB, error) {
	if o.Synchronous == "" {
		o.Synchronous = "full"
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", strings.ToUpper(o.Synchronous))
	q.Set("_busy_timeout", strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10))
	q.Set("_txlock", "immediate")
	q.Set("_stmt_cache_size", "32") // reuse the prepared statements of the hot path
	dsn := "file:" + path + "?" + q.Encode()

	w, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite3", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	db := &DB{Path: path, Write: w, Read: r}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.Write.Close(), db.Read.Close())
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("storage: migrate: %w", err)
	}
	for _, m := range migrations {
		files, err := fs.Glob(m.files, "migrations/*.sql")
		if err != nil {
			return fmt.Errorf("storage: migrate %s: %w", m.component, err)
		}
		sort.Strings(files)
		var applied int
		if err := db.Write.QueryRowContext(ctx,
			`SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = ?`, m.component).Scan(&applied); err != nil {
			return fmt.Errorf("storage: migrate %s: %w", m.component, err)
		}
		if applied > len(files) {
			return fmt.Errorf("storage: %s schema is at version %d, newer than this binary knows (%d): run a newer hookgate", m.component, applied, len(files))
		}
		for i := applied; i < len(files); i++ {
			if err := db.applyMigration(ctx, m, files[i], i+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, m migrationSet, file string, version int) error {
	body, err := fs.ReadFile(m.files, file)
	if err != nil {
		return fmt.Errorf("storage: migrate %s: %w", m.component, err)
	}
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: migrate %s: %w", m.component, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("storage: migrate %s to version %d (%s): %w", m.component, version, file, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (component, version) VALUES (?, ?)`,
		m.component, version); err != nil {
		return fmt.Errorf("storage: migrate %s: %w", m.component, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: migrate %s: %w", m.component, err)
	}
	return nil
}

// SchemaVersion returns the applied schema version of a component.
func (db *DB) SchemaVersion(ctx context.Context, component string) (int, error) {
	var v int
	err := db.Read.QueryRowContext(ctx,
		`SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = ?`, component).Scan(&v)
	return v, err
}
