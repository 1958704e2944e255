package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/hookgate/hookgate/dedupe"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/ordering"
)

// File is the name of the SQLite file inside data_dir.
const File = "hookgate.db"

// DB is hookgate's SQLite file: one connection that writes (every write in
// the process goes through it, so writers never wait on SQLite's lock) and a
// small pool that reads. Close it when done.
//
// A goroutine of the DB checkpoints the write-ahead log in the background,
// from a reading connection and without taking the write lock. SQLite's own
// checkpoint runs inside the commit that brings the log to 1000 pages: it
// copies them to the database file and syncs it while every request of the
// batch waits (10-20 ms on a busy machine). With the background copying
// most pages first, that checkpoint has little left to do. It stays: the
// log starts over only when a write begins after every page was copied,
// and a checkpoint from another connection seldom ends in such a gap while
// writes keep coming (without the writer's, the log grew to 800 MB in a
// benchmark).
type DB struct {
	Path  string
	Write *sql.DB // exactly one connection
	Read  *sql.DB

	stop     chan struct{} // closed by Close: the checkpointer ends
	done     chan struct{} // closed when it has
	stopOnce sync.Once
}

// checkpointEvery is how often the checkpointer copies what the log holds
// to the database file.
const checkpointEvery = 50 * time.Millisecond

// Schema is one component's embedded, versioned schema: its files
// migrations/NNN_name.sql, applied once each in name order, numbered from 1.
type Schema struct {
	Component string
	Files     fs.FS
}

// storeMigrations is the store's own schema (the health probe).
//
//go:embed migrations/*.sql
var storeMigrations embed.FS

// schemas lists the table owners of the decision, whose migrations Open
// always applies.
var schemas = []Schema{
	{"dedupe", dedupe.Migrations},
	{"ordering", ordering.Migrations},
	{"forward", forward.Migrations},
	{"store", storeMigrations},
}

// Options tune Open.
type Options struct {
	Synchronous string        // "full" (default) or "normal"
	BusyTimeout time.Duration // how long a write waits for a lock held elsewhere (default 5s)
	// Schemas are further components' migrations to apply (the gateway's
	// quarantine), after the store's own.
	Schemas []Schema
	// Beside, for a command that works beside a running gateway (a
	// replay), migrates nothing: every schema must be at the version this
	// binary knows, or Open refuses. A migration there would leave the
	// gateway, an older binary, refusing to start again.
	Beside bool
}

// private makes the database file at path, and its -wal and -shm files
// if they exist, readable by their owner only, creating the database file
// empty if it does not exist: SQLite gives the -wal and -shm files the
// database file's permissions. The database holds every event's body and
// quarantined requests with their headers, and the umask alone (often 022)
// would leave them readable by every local user.
func private(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return err
			}
		}
	}
	return nil
}

// Open opens (creating if needed) the database in dir, in WAL mode, and
// applies pending migrations: those of dedupe, ordering, forward and the
// store, and o.Schemas. A database whose schema is newer than this binary
// knows is refused. Close it when done.
func Open(ctx context.Context, dir string, o Options) (*DB, error) {
	if o.Synchronous == "" {
		o.Synchronous = "full"
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	path := filepath.Join(dir, File)
	if err := private(path); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
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
	db := &DB{Path: path, Write: w, Read: r, stop: make(chan struct{}), done: make(chan struct{})}
	go db.checkpoint()
	if err := db.migrate(ctx, append(slices.Clone(schemas), o.Schemas...), o.Beside); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close stops the checkpointer and closes both pools (the last connection
// to close checkpoints what is left). Closing again does nothing more.
func (db *DB) Close() error {
	db.stopOnce.Do(func() { close(db.stop) })
	<-db.done
	return errors.Join(db.Write.Close(), db.Read.Close())
}

// checkpoint runs a passive checkpoint every checkpointEvery until Close: it
// copies the log's committed pages to the database file without blocking
// the writer. A checkpoint that fails (a reader holds an old snapshot, the
// disk is full) is tried again at the next tick; the writer's own
// checkpoint is still there.
func (db *DB) checkpoint() {
	defer close(db.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
			db.Read.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

func (db *DB) migrate(ctx context.Context, schemas []Schema, beside bool) error {
	if beside {
		for _, m := range schemas {
			files, err := fs.Glob(m.Files, "migrations/*.sql")
			if err != nil {
				return fmt.Errorf("storage: %s: %w", m.Component, err)
			}
			var applied int
			if err := db.Write.QueryRowContext(ctx,
				`SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = ?`, m.Component).Scan(&applied); err != nil {
				return fmt.Errorf("storage: %s: %w", m.Component, err)
			}
			if applied != len(files) {
				return fmt.Errorf("storage: %s schema is at version %d, this binary's at %d: run the hookgate version the gateway runs", m.Component, applied, len(files))
			}
		}
		return nil
	}
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("storage: migrate: %w", err)
	}
	for _, m := range schemas {
		files, err := fs.Glob(m.Files, "migrations/*.sql")
		if err != nil {
			return fmt.Errorf("storage: migrate %s: %w", m.Component, err)
		}
		sort.Strings(files)
		var applied int
		if err := db.Write.QueryRowContext(ctx,
			`SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = ?`, m.Component).Scan(&applied); err != nil {
			return fmt.Errorf("storage: migrate %s: %w", m.Component, err)
		}
		if applied > len(files) {
			return fmt.Errorf("storage: %s schema is at version %d, newer than this binary knows (%d): run a newer hookgate", m.Component, applied, len(files))
		}
		for i := applied; i < len(files); i++ {
			if err := db.applyMigration(ctx, m, files[i], i+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, m Schema, file string, version int) error {
	body, err := fs.ReadFile(m.Files, file)
	if err != nil {
		return fmt.Errorf("storage: migrate %s: %w", m.Component, err)
	}
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: migrate %s: %w", m.Component, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("storage: migrate %s to version %d (%s): %w", m.Component, version, file, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (component, version) VALUES (?, ?)`,
		m.Component, version); err != nil {
		return fmt.Errorf("storage: migrate %s: %w", m.Component, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: migrate %s: %w", m.Component, err)
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
