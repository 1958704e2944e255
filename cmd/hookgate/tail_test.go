package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookgate/hookgate/internal/testkit"
)

// countingWriter counts the messages tail prints for a subject.
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

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestTailLiveBurst: live tail (no stream) runs under a context without a
// deadline, as the command's is, and prints every message of a burst
// larger than any client buffer.
func TestTailLiveBurst(t *testing.T) {
	ns := testkit.StartNATS(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready, burst := &countingWriter{prefix: "--- burst.ready\n"}, &countingWriter{prefix: "--- burst.x\n"}
	done := make(chan error, 1)
	go func() {
		done <- tail(ctx, tailOptions{URL: ns.URL(), Subject: "burst.>"}, writerFunc(func(p []byte) (int, error) {
			ready.Write(p)
			return burst.Write(p)
		}))
	}()
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	testkit.WaitFor(t, 10*time.Second, func() string { return "tail never printed a message" }, func() bool {
		select {
		case err := <-done:
			t.Fatalf("tail ended before it got a message: %v", err)
		default:
		}
		nc.Publish("burst.ready", []byte("ready"))
		return ready.count() > 0
	})
	const n = 5000
	for range n {
		nc.Publish("burst.x", []byte("x"))
	}
	nc.Flush()
	testkit.WaitFor(t, 10*time.Second, func() string { return fmt.Sprintf("tail printed %d of a burst of %d", burst.count(), n) },
		func() bool { return burst.count() >= n })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("tail = %v", err)
	}
	if got := burst.count(); got != n {
		t.Errorf("tail printed %d of a burst of %d", got, n)
	}
}

// TestTailAsUser: tail logs in as the config's first user by default, or as
// -user with its password from the config; a user that may not read the
// subject gets an error instead of silence.
func TestTailAsUser(t *testing.T) {
	m := startMain(t, gatewayConfig(t, `nats:
  port: -1
  users:
    - {user: billing, password: billing-pw}
    - {user: audit, password: audit-pw, subscribe: ["webhooks.stripe.invoice.>"]}`,
		"providers:"+stripeProvider))
	body := `{"id":"evt_1","type":"invoice.paid","created":1,"data":{"object":{"id":"in_1"}}}`
	if code, _ := post(t, m, body, stripeSecret); code != 202 {
		t.Fatalf("POST = %d; want 202", code)
	}
	db := openDB(t, m)
	var n int
	testkit.WaitFor(t, 10*time.Second, func() string { return fmt.Sprintf("the event not published: outbox has %d rows", n) }, func() bool {
		return db.QueryRow(`SELECT count(*) FROM outbox`).Scan(&n) == nil && n == 0
	})
	for _, tc := range []struct {
		name, user, subject string
		ok                  bool
	}{
		{name: "first user", user: "", subject: "webhooks.>", ok: true},
		{name: "audit, its subject", user: "audit", subject: "webhooks.stripe.invoice.>", ok: true},
		{name: "audit, another subject", user: "audit", subject: "webhooks.stripe.>", ok: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			auth, err := m.Config.ClientAuth(tc.user, "")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out strings.Builder
			err = tail(ctx, tailOptions{URL: m.Server.NATSURL(), Auth: auth, Subject: tc.subject, Stream: "WEBHOOKS", All: true, Count: 1}, &out)
			switch {
			case tc.ok && (err != nil || !strings.Contains(out.String(), "--- webhooks.stripe.invoice.paid")):
				t.Errorf("tail = %v, printed %q; want the event", err, out.String())
			case !tc.ok && (err == nil || !errors.Is(err, nats.ErrPermissionViolation)):
				t.Errorf("tail = %v; want a permissions violation", err)
			}
		})
	}
}
