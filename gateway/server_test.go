package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestOpenFailureStopsEverything makes the last step of Open fail and checks
// that what was started before it is stopped: no half-started gateway.
func TestOpenFailureStopsEverything(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	natsPort := freePort(t)
	c := mustValid(t, fmt.Sprintf(`
listen: %s
data_dir: %s
nats: {port: %d}
providers: [{name: a, type: github, secrets: [s]}]
`, busy.Addr(), t.TempDir(), natsPort))
	s, err := Open(context.Background(), c, Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		s.Close(context.Background())
		t.Fatal("Open on a busy port succeeded")
	}
	if s != nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Open = %v, %v; want nil and an error naming listen", s, err)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", natsPort))
	if err != nil {
		t.Fatalf("embedded NATS still holds its port after a failed Open: %v", err)
	}
	l.Close()
}

func TestOpenUnreachableNATS(t *testing.T) {
	c := mustValid(t, fmt.Sprintf(`
listen: 127.0.0.1:0
data_dir: %s
nats: {url: "nats://127.0.0.1:%d"}
providers: [{name: a, type: github, secrets: [s]}]
`, t.TempDir(), freePort(t)))
	_, err := Open(context.Background(), c, Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "nats: connect") {
		t.Fatalf("Open = %v; want a nats connect error", err)
	}
}

// TestSweepDeletesExpired records events, moves the injected clock past
// their TTL and checks that the sweeper deletes them in batches.
func TestSweepDeletesExpired(t *testing.T) {
	var now atomic.Int64
	t0 := time.Now()
	now.Store(t0.UnixNano())
	c := mustValid(t, fmt.Sprintf(`
listen: 127.0.0.1:0
data_dir: %s
nats: {port: -1}
storage: {sweep_interval: 1h}
providers: [{name: a, type: github, secrets: [s], dedupe: {ttl: 1h}}]
`, t.TempDir()))
	s, err := Open(context.Background(), c, Options{
		Logger: slog.New(slog.DiscardHandler),
		Now:    func() time.Time { return time.Unix(0, now.Load()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	const n = sweepBatch + 10
	for i := range n {
		ev := testEvent(fmt.Sprint(i), fmt.Sprint(i), 1)
		if _, err := s.decider.Decide(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.sweep(context.Background()); err != nil || got != 0 {
		t.Fatalf("sweep before expiry = %d, %v; want 0", got, err)
	}
	now.Store(t0.Add(2 * time.Hour).UnixNano())
	got, err := s.sweep(context.Background())
	if err != nil || got != 2*n {
		t.Fatalf("sweep after expiry = %d, %v; want %d (dedupe and ordering rows)", got, err, 2*n)
	}
	if d, err := s.decider.Decide(context.Background(), testEvent("0", "0", 0)); err != nil || d != Accepted {
		t.Fatalf("event after its entry expired = %v, %v; want accepted", d, err)
	}
	if !errors.Is(s.Close(context.Background()), nil) {
		t.Fatal("Close failed")
	}
}
