package gateway

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// countingWriter counts the messages Tail prints for a subject.
type countingWriter struct {
	mu     sync.Mutex
	prefix string
	n      int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n += strings.Count(string(p), w.prefix)
	return len(p), nil
}

func (w *countingWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// TestTailLiveBurst: live tail (no stream) runs under a context without a
// deadline, as the command's is, and prints every message of a burst
// larger than any client buffer.
func TestTailLiveBurst(t *testing.T) {
	s := mustServer(t, "", "  - {name: shop, type: stripe, secrets: [whsec_a]}\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready, burst := &countingWriter{prefix: "--- burst.ready\n"}, &countingWriter{prefix: "--- burst.x\n"}
	done := make(chan error, 1)
	go func() {
		done <- Tail(ctx, TailOptions{URL: s.NATSURL(), Subject: "burst.>"}, writerFunc(func(p []byte) (int, error) {
			ready.Write(p)
			return burst.Write(p)
		}))
	}()
	nc, err := nats.Connect(s.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for ready.count() == 0 {
		select {
		case err := <-done:
			t.Fatalf("Tail ended before it got a message: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("Tail never printed a message")
		}
		nc.Publish("burst.ready", []byte("ready"))
		time.Sleep(20 * time.Millisecond)
	}
	const n = 5000
	for range n {
		nc.Publish("burst.x", []byte("x"))
	}
	nc.Flush()
	for burst.count() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Tail = %v", err)
	}
	if got := burst.count(); got != n {
		t.Errorf("Tail printed %d of a burst of %d", got, n)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
