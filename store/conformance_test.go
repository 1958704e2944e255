package store

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/webhook/decidertest"
)

// TestConformance runs the deciders' shared suite on the SQLite store,
// with an injected clock that Expire moves past the TTL.
func TestConformance(t *testing.T) {
	decidertest.Run(t, func(t *testing.T) *decidertest.Backend {
		db := mustOpen(t)
		var now atomic.Int64
		now.Store(time.Now().UnixNano())
		w := &Writer{DB: db.Write, Outbox: &forward.Counter{}, Now: func() time.Time { return time.Unix(0, now.Load()) }}
		w.Start()
		t.Cleanup(func() { w.Close() })
		return &decidertest.Backend{
			Decider:   w,
			Forwarded: func(tb testing.TB) []string { return outboxIDs(tb, db) },
			Expire:    func(testing.TB) { now.Add(int64(decidertest.TTL + time.Second)) },
			Break:     func(testing.TB) { db.Write.Close() },
		}
	})
}
