package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/webhook"
)

// TestSweepDeletesExpired records events, moves the clock past their TTL,
// and checks that Sweep deletes their claims and versions, in more than
// one batch, and that an event whose claim expired is accepted again.
func TestSweepDeletesExpired(t *testing.T) {
	db := mustOpen(t)
	var now atomic.Int64
	t0 := time.Now()
	now.Store(t0.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	w := &Writer{DB: db.Write, Outbox: &forward.Counter{}, Now: clock}
	w.Start()
	defer w.Close()
	const n = sweepBatch + 10
	for i := range n {
		if _, err := w.Decide(context.Background(), testEvent(fmt.Sprint(i), fmt.Sprint(i), 1)); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := Sweep(context.Background(), db.Write, clock(), time.Time{}); err != nil || got != 0 {
		t.Fatalf("Sweep before expiry = %d, %v; want 0", got, err)
	}
	now.Store(t0.Add(2 * time.Hour).UnixNano())
	if got, err := Sweep(context.Background(), db.Write, clock(), time.Time{}); err != nil || got != 2*n {
		t.Fatalf("Sweep after expiry = %d, %v; want %d (claims and versions)", got, err, 2*n)
	}
	if o, err := w.Decide(context.Background(), testEvent("0", "0", 0)); err != nil || o != webhook.Accepted {
		t.Fatalf("event after its claim expired = %v, %v; want accepted", o, err)
	}
	// A cancelled context stops between statements.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := Sweep(ctx, db.Write, clock(), time.Time{}); err != nil || got != 0 {
		t.Errorf("Sweep with a cancelled context = %d, %v; want 0, nil", got, err)
	}
}

// TestLock: a second Lock of a directory in use fails at once naming the
// holder; released, the directory can be locked again.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	l, err := Lock(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir, time.Now()); err == nil || !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second Lock = %v; want ErrLocked naming pid %d", err, os.Getpid())
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := Lock(dir, time.Now())
	if err != nil {
		t.Fatalf("Lock after Release = %v", err)
	}
	l2.Release()
}
