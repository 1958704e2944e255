// Package sqlitestore keeps the keys of processed events in a SQLite table
// (hookgate_processed), for consume: as a [consume.Store] for
// [consume.Once], and with [Store.Handler], which runs a handler inside the
// transaction that records the event's key, so that a handler whose data
// lives in the same database has its effects exactly once.
//
// It uses github.com/mattn/go-sqlite3 (cgo), which is why it is a package
// of its own: importing consume does not need cgo.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver

	"github.com/hookgate/hookgate/consume"
)

var _ consume.Store = (*Store)(nil)

// Table is the name of the table of processed keys.
const Table = "hookgate_processed"

const schema = `CREATE TABLE IF NOT EXISTS ` + Table + ` (
	key TEXT PRIMARY KEY,
	processed_at INTEGER NOT NULL -- Unix nanoseconds
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ` + Table + `_processed_at ON ` + Table + ` (processed_at);`

// Store is a consume.Store in a SQLite database. It is safe for concurrent
// use. Its marks are kept until [Store.Sweep] deletes them.
type Store struct {
	db     *sql.DB
	closes bool // Close closes db (Open opened it)
	// Now is the clock of the marks (default time.Now); set it before
	// first use.
	Now func() time.Time
}

// TxHandler handles an event inside tx, the transaction that records the
// event's key: its writes in tx commit with the mark, or not at all. It
// must not commit or roll back tx.
type TxHandler func(ctx context.Context, tx *sql.Tx, ev *consume.Event) error

// Open opens (creating it if needed) the SQLite file at path as
// consume/sqlitestore recommends: WAL journal, synchronous FULL, a 10 s busy
// timeout, and transactions that take the write lock when they begin
// (_txlock=immediate), so that concurrent handlers wait for each other
// instead of failing. Close closes the database.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := sql.Open("sqlite3", "file:"+uriPath.Replace(path)+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	s, err := New(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.closes = true
	return s, nil
}

// uriPath escapes what ends a path in a SQLite URI.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// New returns a Store in db (a "sqlite3" database: the application's own,
// for Handler's transactions to hold its writes), creating its table if
// needed. Close does not close db. Open db with _txlock=immediate, or two
// handlers' transactions may fail with "database is locked" (they are then
// retried).
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("sqlitestore: create table %s: %w", Table, err)
	}
	return &Store{db: db}, nil
}

// DB returns the Store's database.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database if Open opened it.
func (s *Store) Close() error {
	if s.closes {
		return s.db.Close()
	}
	return nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Seen reports whether key was marked processed.
func (s *Store) Seen(ctx context.Context, key string) (bool, error) {
	return seen(ctx, s.db, key)
}

// Mark records key as processed; marking it again changes nothing.
func (s *Store) Mark(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO `+Table+` (key, processed_at) VALUES (?, ?)`, key, s.now().UnixNano()); err != nil {
		return fmt.Errorf("sqlitestore: mark %s: %w", key, err)
	}
	return nil
}

// Sweep deletes the marks made before before, and returns how many. An
// event delivered again after its mark was swept is handled again: sweep
// only what no redelivery or replay will bring back (older than the
// stream's max_age, say).
func (s *Store) Sweep(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM `+Table+` WHERE processed_at < ?`, before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("sqlitestore: sweep: %w", err)
	}
	return res.RowsAffected()
}

// Handler returns a consume.Handler that runs h once per event key
// ([consume.Event.Key]), in one transaction with the key's mark: it begins
// a transaction, returns nil at once if the key is marked, calls h, inserts
// the mark and commits. If h fails, or the commit does, nothing of it is
// kept and the error goes back to the Subscription (retry, or dead letter
// for a consume.Permanent error). An event without a key is handled in a
// transaction with no mark.
//
// Exactly once holds for h's writes in tx: a crash before the commit
// leaves neither the writes nor the mark (the message comes again), a crash
// after it leaves both (the message comes again and is acknowledged without
// a call). Anything else h does (an HTTP call, another database) happens at
// least once: it may run again if the transaction does not commit.
func (s *Store) Handler(h TxHandler) consume.Handler {
	return func(ctx context.Context, ev *consume.Event) (err error) {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlitestore: begin: %w", err)
		}
		// After a commit a no-op; otherwise (an error, or a panic in h that
		// the Subscription recovers) the write lock is let go.
		defer tx.Rollback()
		key := ev.Key()
		if key != "" {
			switch done, err := seen(ctx, tx, key); {
			case err != nil:
				return err
			case done:
				return tx.Commit()
			}
		}
		if err := h(ctx, tx, ev); err != nil {
			return err
		}
		if key != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+Table+` (key, processed_at) VALUES (?, ?)`, key, s.now().UnixNano()); err != nil {
				return fmt.Errorf("sqlitestore: mark %s: %w", key, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlitestore: commit %s: %w", key, err)
		}
		return nil
	}
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func seen(ctx context.Context, q querier, key string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM `+Table+` WHERE key = ?`, key).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("sqlitestore: was %s processed: %w", key, err)
	}
	return true, nil
}
