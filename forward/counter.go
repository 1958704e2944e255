package forward

import (
	"context"
	"sync"
	"sync/atomic"
)

// Counter is the outbox's size as this process changes it: the rows and
// body bytes that writers added and the relay has not yet removed. The
// outbox's bound is checked against it without reading the table, and the
// admin API and the metrics report it.
//
// Rows that another process adds or removes (`hookgate replay` beside a
// running gateway) make it drift; Remove reports a count that went below
// zero, and Resync sets it from the table again. A Counter is safe for
// concurrent use; its zero value is an empty outbox.
type Counter struct {
	rows, bytes atomic.Int64
	// resync is held by Resync and by AddCommit: a large commit (a
	// replay's page) is never read before it commits and then overwritten
	// by that read. The writer's small batches do without it (Add).
	resync sync.Mutex
}

// Load returns the rows and body bytes counted.
func (c *Counter) Load() (rows, bytes int64) {
	return c.rows.Load(), c.bytes.Load()
}

// Add counts rows added to the outbox.
func (c *Counter) Add(rows, bytes int64) {
	c.rows.Add(rows)
	c.bytes.Add(bytes)
}

// Remove counts rows that left the outbox (published or parked). It
// reports false when the count went below zero: rows were added elsewhere,
// and the count must be read again (Resync).
func (c *Counter) Remove(rows, bytes int64) bool {
	r, b := c.rows.Add(-rows), c.bytes.Add(-bytes)
	return r >= 0 && b >= 0
}

// AddCommit counts rows added to the outbox by commit, before it runs (so
// that the relay never counts out rows not yet counted in) and taken back
// if it fails, with no Resync in between.
func (c *Counter) AddCommit(rows, bytes int64, commit func() error) error {
	c.resync.Lock()
	defer c.resync.Unlock()
	c.Add(rows, bytes)
	if err := commit(); err != nil {
		c.Remove(rows, bytes)
		return err
	}
	return nil
}

// Resync sets the count from the outbox table. A commit counted with Add
// that races the read is off by its batch until the next Resync; one
// counted with AddCommit is not.
func (c *Counter) Resync(ctx context.Context, q Querier) error {
	c.resync.Lock()
	defer c.resync.Unlock()
	d, err := Depth(ctx, q)
	if err != nil {
		return err
	}
	c.rows.Store(d.Rows)
	c.bytes.Store(d.Bytes)
	return nil
}
