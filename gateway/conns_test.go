package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

// dialFrom opens a connection to addr from the loopback address from
// (127.0.0.x: Linux lets a socket bind any of 127.0.0.0/8).
func dialFrom(tb testing.TB, from, addr string) net.Conn {
	tb.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		tb.Fatalf("dial from %s: %v", from, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// clientFrom is an HTTP client whose connections come from the loopback
// address from.
func clientFrom(from string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

// get sends a GET on c and returns the answer's status and body ("" and
// the error when there is none).
func get(c net.Conn) (int, string, error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET /nothing HTTP/1.1\r\nHost: gw\r\n\r\n"); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, "", err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), nil
}

// idleConns counts the connections l has idle.
func idleConns(l *connLimit) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for c := l.conns; c != nil; c = c.next {
		if c.idle.Load() > 0 {
			n++
		}
	}
	return n
}

// TestConnCapEvictsIdle: one client holding every connection of
// http.max_conns with idle keep-alive connections (one request each, then
// nothing, for up to http.idle_timeout) no longer locks the providers
// out: a new connection closes the one idle longest and is served, over
// plain HTTP and over TLS.
func TestConnCapEvictsIdle(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		name, extra, scheme := "http", "", "http"
		var pool *x509.CertPool
		if tlsOn {
			var certFile, keyFile string
			certFile, keyFile, pool = mustCert(t)
			name, extra, scheme = "https", fmt.Sprintf(", tls: {cert_file: %s, key_file: %s}", certFile, keyFile), "https"
		}
		t.Run(name, func(t *testing.T) {
			s := mustServer(t, "http: {max_conns: 3, max_conns_per_client: 3"+extra+"}", providerYAML("shop", "stripe", "whsec_new"))
			addr := s.Addr().String()
			var held []net.Conn
			for i := range 3 {
				c := dialFrom(t, "127.0.0.1", addr)
				if tlsOn {
					c = tls.Client(c, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
				}
				if code, _, err := get(c); code != 404 {
					t.Fatalf("the holder's connection %d: %d, %v", i, code, err)
				}
				held = append(held, c)
				testkit.WaitFor(t, 10*time.Second, testkit.Says("the holder's connections idle"), func() bool { return idleConns(s.conns) == i+1 })
			}
			// The first is used again: the second is now the one idle
			// longest.
			if code, _, err := get(held[0]); code != 404 {
				t.Fatalf("the holder's first connection again: %d, %v", code, err)
			}
			testkit.WaitFor(t, 10*time.Second, testkit.Says("the holder's connections idle"), func() bool { return idleConns(s.conns) == 3 })
			client := clientFrom("127.0.0.2")
			client.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool}
			req := testkit.SignedRequest(t, "stripe", "whsec_new", scheme+"://"+addr+"/webhooks/shop", stripeBody("evt_1", "t", "o", time.Now().Unix()))
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("a provider's request while one client holds every connection idle: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 202 {
				t.Fatalf("a provider's request while one client holds every connection idle: %d %s; want 202", resp.StatusCode, b)
			}
			t.Logf("served in %v", time.Since(start))
			// The connection idle longest, the second, was closed for it;
			// the others are still served.
			held[1].SetReadDeadline(time.Now().Add(10 * time.Second))
			if n, err := held[1].Read(make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
				t.Errorf("the connection idle longest: read %d, %v; want it closed", n, err)
			}
			for _, i := range []int{0, 2} {
				if code, _, err := get(held[i]); code != 404 {
					t.Errorf("the holder's connection %d after the eviction: %d, %v; want it open", i, code, err)
				}
			}
			if m := scrape(t, s); m["hookgate_http_connections_evicted_total"] != 1 {
				t.Errorf("hookgate_http_connections_evicted_total = %v; want 1", m["hookgate_http_connections_evicted_total"])
			}
		})
	}
}

// TestConnCapRefusesWhenNoneIdle: at http.max_conns with every connection
// in a request (two bodies arriving), a new connection is refused with
// 503, as before: a request in progress is never cut to make room.
func TestConnCapRefusesWhenNoneIdle(t *testing.T) {
	s := mustServer(t, "http: {max_conns: 2, max_conns_per_client: 2, body_timeout: 60s}", providerYAML("shop", "stripe", "whsec_new"))
	addr := s.Addr().String()
	for range 2 {
		c := dialFrom(t, "127.0.0.1", addr)
		io.WriteString(c, "POST /webhooks/shop HTTP/1.1\r\nHost: gw\r\nStripe-Signature: t=1,v1=00\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	}
	testkit.WaitFor(t, 10*time.Second, func() string {
		return fmt.Sprintf("two bodies arriving: %d, open %d", s.receiving.Load(), s.conns.Open())
	}, func() bool { return s.receiving.Load() == 2 })
	code, body, err := get(dialFrom(t, "127.0.0.2", addr))
	if code != 503 || !strings.Contains(body, `"too many connections"`) {
		t.Errorf("a third connection: %d %s (%v); want 503 too many connections", code, body, err)
	}
	if s.receiving.Load() != 2 {
		t.Errorf("%d bodies arriving after the refusal; want both still", s.receiving.Load())
	}
}

// TestConnCapPerClient: one address (an IPv6 client's /64) holds at most
// http.max_conns_per_client connections; past it a connection is refused
// with 503 while another address is served, and a trusted proxy, whose
// connections carry many senders', has no such share (one that a reload
// trusts too).
func TestConnCapPerClient(t *testing.T) {
	s := mustServer(t, "http: {max_conns: 10, max_conns_per_client: 2, trusted_proxies: [127.0.0.4]}", providerYAML("shop", "stripe", "whsec_new"))
	addr := s.Addr().String()
	first := dialFrom(t, "127.0.0.2", addr)
	dialFrom(t, "127.0.0.2", addr)
	code, body, err := get(dialFrom(t, "127.0.0.2", addr))
	if code != 503 || !strings.Contains(body, "too many connections from this address") {
		t.Errorf("a third connection from one address: %d %s (%v); want 503 naming the address's share", code, body, err)
	}
	if code, body, err := get(dialFrom(t, "127.0.0.3", addr)); code != 404 {
		t.Errorf("a connection from another address: %d %s (%v); want it served (404)", code, body, err)
	}
	for i := range 3 {
		if code, body, err := get(dialFrom(t, "127.0.0.4", addr)); code != 404 {
			t.Errorf("connection %d from a trusted proxy: %d %s (%v); want it served (404)", i, code, body, err)
		}
	}
	first.Close()
	testkit.WaitFor(t, 10*time.Second, testkit.Says("a connection from the address served once one of its own closed"), func() bool {
		code, _, _ := get(dialFrom(t, "127.0.0.2", addr))
		return code == 404
	})
	// A reload that trusts the address lifts its share at once.
	cfg := *s.cfg
	cfg.HTTP.TrustedProxies = []string{"127.0.0.2"}
	if restart, err := s.Reload(&cfg); err != nil || len(restart) != 0 {
		t.Fatalf("reload = %v, %v; want it applied", restart, err)
	}
	for i := range 3 {
		if code, body, err := get(dialFrom(t, "127.0.0.2", addr)); code != 404 {
			t.Errorf("connection %d from the address trusted by a reload: %d %s (%v); want it served (404)", i, code, body, err)
		}
	}
}

// fakeConn is a connection from a given address that does nothing.
type fakeConn struct {
	net.Conn
	from netip.AddrPort
}

func (c fakeConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.from) }
func (c fakeConn) Close() error         { return nil }

// TestConnCapPerClientIPv6: the addresses of one IPv6 /64 share one
// share of connections, an IPv4-mapped address its IPv4 address's.
func TestConnCapPerClientIPv6(t *testing.T) {
	l := newConnLimit(10, 1, nil, func() {}, func() {})
	admit := func(from string) bool {
		c, _ := l.admit(fakeConn{from: netip.AddrPortFrom(netip.MustParseAddr(from), 1000)})
		return c != nil
	}
	for _, c := range []struct {
		from string
		want bool
	}{
		{"2001:db8:1:2::1", true},
		{"2001:db8:1:2:ffff::9", false},
		{"2001:db8:1:3::1", true},
		{"192.0.2.1", true},
		{"::ffff:192.0.2.1", false},
	} {
		if got := admit(c.from); got != c.want {
			t.Errorf("a connection from %s admitted: %v; want %v", c.from, got, c.want)
		}
	}
}

// TestConnCapClaimsVictimOnce: two HTTP/2 requests beyond their
// connections' first, at max with one idle connection, race for its slot:
// one gets it, the other 503, and the slots never pass max. The victim
// was left among the idle until its close, so both picked it and both
// were admitted (in about one race of five).
func TestConnCapClaimsVictimOnce(t *testing.T) {
	for range 2000 {
		l := newConnLimit(3, 0, nil, func() {}, func() {})
		var cs []*limitedConn
		for j := range 3 {
			c, err := l.admit(fakeConn{from: netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), uint16(1000+j))})
			if err != nil {
				t.Fatal(err)
			}
			cs = append(cs, c)
		}
		l.track(cs[0], http.StateActive)
		l.track(cs[1], http.StateActive)
		ctxs := []context.Context{l.connContext(context.Background(), cs[0]), l.connContext(context.Background(), cs[1])}
		for _, ctx := range ctxs {
			if _, _, err := l.openStream(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		var ready, admitted atomic.Int32
		for _, ctx := range ctxs {
			wg.Go(func() {
				// Both at once: each spins until the other is there.
				for ready.Add(1); ready.Load() < 2; {
				}
				if _, _, err := l.openStream(ctx); err == nil {
					admitted.Add(1)
				}
			})
		}
		wg.Wait()
		if admitted.Load() != 1 || l.Open() > 3 {
			t.Fatalf("%d of 2 requests admitted for one idle connection's slot, %d slots taken; want 1, at most 3", admitted.Load(), l.Open())
		}
	}
}

// TestConnCapCutsNoRequestRead: a keep-alive client sends requests back to
// back while new connections keep arriving at max_conns 2, each closing
// the connection idle longest. A connection counted idle until the
// server's hook said it was in a request (once its header was read) was
// closed with a request read and being handled, whose answer was then
// lost (hundreds in a few seconds): a request whose bytes arrived marks
// its connection busy, and one claimed for closing reads nothing more.
func TestConnCapCutsNoRequestRead(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var evictions atomic.Int64
	l := newConnLimit(2, 0, nil, func() {}, func() { evictions.Add(1) })
	var handled, cut atomic.Int64
	srv := &http.Server{ConnState: l.track, ConnContext: l.connContext,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			handled.Add(1)
			io.Copy(io.Discard, r.Body)
			time.Sleep(50 * time.Microsecond)
			w.Write([]byte("ok"))
			if err := http.NewResponseController(w).Flush(); err != nil {
				cut.Add(1)
			}
		})}
	go srv.Serve(l.listener(ln, true))
	defer srv.Close()
	addr := ln.Addr().String()
	stop := time.Now().Add(3 * time.Second)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var c net.Conn
		var br *bufio.Reader
		for time.Now().Before(stop) {
			if c == nil {
				if c, err = net.Dial("tcp", addr); err != nil {
					continue
				}
				br = bufio.NewReader(c)
			}
			_, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
			var resp *http.Response
			if err == nil {
				resp, err = http.ReadResponse(br, nil)
			}
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if err != nil || resp.StatusCode != 200 {
				c.Close()
				c = nil
			}
		}
		if c != nil {
			c.Close()
		}
	}()
	var ring [4]net.Conn
	for i := 0; time.Now().Before(stop); i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			continue
		}
		if ring[i%4] != nil {
			ring[i%4].Close()
		}
		ring[i%4] = c
		time.Sleep(100 * time.Microsecond)
	}
	<-done
	for _, c := range ring {
		if c != nil {
			c.Close()
		}
	}
	if evictions.Load() == 0 || handled.Load() == 0 {
		t.Fatalf("%d evictions, %d requests handled; want both (else this test shows nothing)", evictions.Load(), handled.Load())
	}
	if cut.Load() != 0 {
		t.Errorf("%d of %d requests handled were cut by an eviction (%d evictions); want none", cut.Load(), handled.Load(), evictions.Load())
	}
}
