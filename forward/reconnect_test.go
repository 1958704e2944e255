package forward_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

// dropProxy relays TCP connections from 127.0.0.1 to a NATS server. Once
// armed, it cuts the first connection that sends a publish, the way a failing
// network path loses data in flight: the bytes of that read and of every
// later one never reach the server, whose side is closed, and the client
// reads end of file (its writes keep succeeding until it notices, so it
// always notices the drop by reading, as with a server that went away).
// Later connections are relayed intact.
type dropProxy struct {
	ln     net.Listener
	target string
	armed  atomic.Bool
	drops  atomic.Int32
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  []net.Conn // guarded by mu
	closed bool       // guarded by mu
}

// mustProxy starts a dropProxy to target; it is closed at the end of the test.
func mustProxy(tb testing.TB, target string) *dropProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &dropProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.close)
	return p
}

func (p *dropProxy) url() string { return "nats://" + p.ln.Addr().String() }

func (p *dropProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(c, s) {
			return
		}
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			io.Copy(c, s)
			c.(*net.TCPConn).CloseWrite() // the client reads EOF
		}()
		go func() {
			defer p.wg.Done()
			p.pipe(c, s)
			s.Close()
			io.Copy(io.Discard, c) // until the client closes
			c.Close()
		}()
	}
}

// pipe copies what the client sends to the server until either side ends,
// or until it sees a publish while armed: then it returns without
// forwarding that read, and the caller closes the server's side.
func (p *dropProxy) pipe(c, s net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if bytes.Contains(buf[:n], []byte("PUB ")) && p.armed.CompareAndSwap(true, false) {
				p.drops.Add(1)
				return
			}
			if _, err := s.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// track records conns for close; it closes them and reports false if the
// proxy is closed.
func (p *dropProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	p.conns = append(p.conns, conns...)
	return true
}

func (p *dropProxy) close() {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.mu.Unlock()
	p.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	p.wg.Wait()
}

// TestCorePublisherReconnect cuts the relay's connection in the middle of a
// window (the proxy loses the first publishes in flight) and checks that no
// row is deleted without reaching the server: after Flush, every row has been
// received by a subscriber at least once. Before the fix, the flush issued
// while the client reconnected was answered by the new connection, the lost
// messages counted as acknowledged, and their rows were deleted.
func TestCorePublisherReconnect(t *testing.T) {
	tests := []struct {
		name      string
		reconnBuf int // nats.ReconnectBufSize; 0 is nats.go's default (8 MiB)
	}{
		{"no reconnect buffer", -1},
		{"default reconnect buffer", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 4000
			s := mustServer(t, forward.ServerConfig{})
			proxy := mustProxy(t, s.Addr().String())
			nc, err := nats.Connect(proxy.url(),
				nats.MaxReconnects(-1),
				nats.ReconnectWait(20*time.Millisecond),
				nats.ReconnectJitter(0, 0),
				nats.ReconnectBufSize(tt.reconnBuf),
				nats.IgnoreDiscoveredServers(),
			)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()

			var (
				mu   sync.Mutex
				seen = map[string]int{}
			)
			subConn := mustConn(t, s.ClientURL())
			sub, err := subConn.Subscribe("webhooks.>", func(m *nats.Msg) {
				mu.Lock()
				seen[m.Header.Get(forward.HeaderMsgID)]++
				mu.Unlock()
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := sub.SetPendingLimits(-1, -1); err != nil {
				t.Fatal(err)
			}
			if err := subConn.Flush(); err != nil {
				t.Fatal(err)
			}

			db, want := queued(t, n)
			// One window for the whole outbox: the connection is cut while
			// the relay is still publishing it.
			r := &forward.Relay{
				DB:         db,
				Publish:    forward.NewCorePublisher(nc, 2*time.Second),
				Batch:      n,
				Window:     n,
				MinBackoff: 5 * time.Millisecond,
				MaxBackoff: 20 * time.Millisecond,
			}
			defer r.Close()
			proxy.armed.Store(true)

			ctx, cancel := context.WithTimeout(t.Context(), 8*time.Second)
			defer cancel()
			if err := r.Flush(ctx); err != nil {
				t.Fatalf("Flush = %v", err)
			}
			if d := proxy.drops.Load(); d != 1 {
				t.Fatalf("proxy cut %d connections; want 1", d)
			}
			if rc := nc.Stats().Reconnects; rc == 0 {
				t.Fatal("the client did not reconnect")
			}
			if d := depth(t, db); d.Rows != 0 {
				t.Fatalf("outbox has %d rows after Flush; want 0", d.Rows)
			}

			// Flush returned after the server answered the last flush, so
			// every message is on its way to the subscriber.
			var missing []string
			deadline := time.Now().Add(3 * time.Second)
			for {
				missing = missing[:0]
				mu.Lock()
				for _, m := range want {
					if seen[m.ID] == 0 {
						missing = append(missing, m.ID)
					}
				}
				total := 0
				for _, c := range seen {
					total += c
				}
				mu.Unlock()
				if len(missing) == 0 {
					t.Logf("%d messages received for %d rows; relay stats %+v", total, n, r.Stats())
					return
				}
				if time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Fatalf("%d of %d rows were deleted from the outbox but never reached the subscriber (first: %s); relay stats %+v",
				len(missing), n, missing[0], r.Stats())
		})
	}
}

// TestJetStreamPublisherReconnectBeforeSend reconnects the client in the
// middle of a call, between the publisher's check of its connection and
// the send of the call's second message: the first message was lost with
// the old connection (the proxy cut it on that message), and the second
// must not go out on the new connection, where it would be stored ahead of
// the first (which the caller publishes again after it). Before the fix
// the check read the reconnect count, nats.go completed the reconnection
// before the send, and the stream ended with the second message before the
// first.
func TestJetStreamPublisherReconnectBeforeSend(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	js := mustJetStream(t, mustConn(t, s.ClientURL()))
	proxy := mustProxy(t, s.Addr().String())
	var deferred atomic.Int32 // dials the Dialer refused
	nc := mustConn(t, proxy.url(), nats.IgnoreDiscoveredServers(),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			if errors.Is(err, forward.ErrDialDeferred) {
				deferred.Add(1)
			}
		}))
	p := mustJSPublisher(t, nc, 20*time.Second)
	if _, err := p.Publish(t.Context(), messages(0, 1), 1); err != nil {
		t.Fatalf("Publish before the cut = %v", err)
	}

	reconnects := nc.Stats().Reconnects
	var hooked atomic.Bool
	forward.SetBeforeSend(p, func(i int) {
		if i != 1 || !hooked.CompareAndSwap(false, true) {
			return
		}
		// The first message is handed to the connection: the proxy loses
		// it and cuts the connection. Then the client reconnects (before
		// the fix), or its Dialer refuses to while this send is pending.
		testkit.WaitFor(t, 20*time.Second, testkit.Says("the proxy to cut the connection on the first message"),
			func() bool { return proxy.drops.Load() == 1 })
		testkit.WaitFor(t, 20*time.Second, testkit.Says("the client to reconnect, or to try to"), func() bool {
			return deferred.Load() > 0 || (nc.Stats().Reconnects > reconnects && nc.IsConnected())
		})
	})
	proxy.armed.Store(true)
	msgs := messages(1, 3)
	res, err := p.Publish(t.Context(), msgs, len(msgs))
	if !hooked.Load() {
		t.Fatalf("Publish = %+v, %v without reaching the second send", res, err)
	}
	if err == nil || res.Acked != 0 {
		t.Fatalf("Publish across the reconnection = %+v, %v; want an error with nothing acknowledged", res, err)
	}
	if res.Sent != 1 {
		t.Errorf("Publish sent %d messages; want 1 (none after the reconnection)", res.Sent)
	}
	t.Logf("Publish = %+v, %v; %d dial(s) deferred", res, err, deferred.Load())

	// The caller publishes again from the first unacknowledged message.
	deadline := time.Now().Add(20 * time.Second)
	for rest := msgs[res.Acked:]; len(rest) > 0; {
		r, err := p.Publish(t.Context(), rest, len(rest))
		rest = rest[r.Acked:]
		if err != nil && time.Now().After(deadline) {
			t.Fatalf("Publish after the reconnection: %v", err)
		}
	}
	checkStream(t, js, messages(0, 3))
}
