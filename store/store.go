// Package store is hookgate's SQLite backend: the database file in the data
// directory (its migrations, its lock), and the decision recorded in it.
//
// The decision (decide.go) claims an event's idempotency key, compares its
// entity's version, enqueues its message in the outbox and archives it, in
// one transaction. Writer is the group commit around it (writer.go): one
// transaction, and one fsync, for many concurrent requests. Sweep deletes
// what has expired. The tables belong to the packages whose rules they
// hold (dedupe, ordering, forward); the store applies their migrations and
// runs their statements together.
package store

import "errors"

// Errors of the store. Nothing was recorded for an event whose Decide
// returns one of them.
var (
	// ErrStorage means the database could not record the decision.
	ErrStorage = errors.New("store: storage unavailable")
	// ErrOutboxFull means the outbox is at its bound (NATS is down or
	// slow).
	ErrOutboxFull = errors.New("store: outbox full")
	// ErrClosed means the writer was closed.
	ErrClosed = errors.New("store: closed")
)
