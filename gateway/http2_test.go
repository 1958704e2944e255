package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

// TestHTTP2RequestsTakeSlots: over TLS with HTTP/2, one connection carried
// Go's default 250 requests at once, and a body declaring 1 MiB took its
// whole buffer once 16 KiB had arrived: 200 streams each sending 16 KiB
// and a byte, then stalling, held 281 MiB from 3.2 MB sent, and
// http.max_conns bounded nothing. Now each request beyond a connection's
// first takes a connection slot: with max_conns 4, of 50 such requests on
// one connection 4 receive their bodies and the rest get 503 naming the
// limit (or, finding the connection's streams all taken, no connection),
// the heap grows by what was sent (not by the declared 50 MiB),
// and once they end, a signed request on the connection is served. The
// server advertises http.max_concurrent_streams.
func TestHTTP2RequestsTakeSlots(t *testing.T) {
	certFile, keyFile, pool := mustCert(t)
	s := mustServer(t, fmt.Sprintf("http: {max_conns: 4, max_conns_per_client: 4, body_timeout: 60s, max_concurrent_streams: 8, tls: {cert_file: %s, key_file: %s}}", certFile, keyFile),
		providerYAML("shop", "stripe", "whsec_new"))
	if h2 := s.http.HTTP2; h2 == nil || h2.MaxConcurrentStreams != 8 {
		t.Errorf("HTTP/2 config %+v; want MaxConcurrentStreams http.max_concurrent_streams, 8", h2)
	}
	// One connection: the client dials once, and a request that finds
	// it full fails (counted with the refused).
	var dialed atomic.Bool
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: pool},
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dialed.Swap(true) {
				return nil, errors.New("one connection only")
			}
			d := tls.Dialer{Config: &tls.Config{RootCAs: pool, NextProtos: []string{"h2"}}}
			return d.DialContext(ctx, network, addr)
		}}}
	url := "https://" + s.Addr().String() + "/webhooks/shop"

	// A first request, so that the client knows the server's settings
	// (its limit of streams) before it opens more.
	warm, err := client.Get("https://" + s.Addr().String() + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	warm.Body.Close()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc

	const n = 50
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		refused int // 503, or not sent: the connection full
		notSent int
		other   []string
		writers []*io.PipeWriter
	)
	for range n {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		req, _ := http.NewRequest("POST", url, pr)
		req.ContentLength = 1 << 20
		req.Header.Set("Stripe-Signature", "t=1,v1=00")
		wg.Go(func() {
			resp, err := client.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if !strings.Contains(err.Error(), "one connection only") {
					other = append(other, err.Error())
				} else {
					refused++
					notSent++
				}
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.ProtoMajor != 2:
				other = append(other, resp.Proto)
			case resp.StatusCode == 503 && strings.Contains(string(b), "HTTP/2 requests (http.max_conns"):
				refused++
			default:
				other = append(other, fmt.Sprintf("%d %s", resp.StatusCode, b))
			}
		})
		go pw.Write(make([]byte, chunkSize+1))
	}
	testkit.WaitFor(t, 30*time.Second, func() string {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprintf("4 bodies arriving, %d requests refused or not sent: %d arriving, %d refused, others %v", n-4, s.receiving.Load(), refused, other)
	}, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return s.receiving.Load() == 4 && refused == n-4
	})
	runtime.GC()
	runtime.ReadMemStats(&ms)
	grown := int64(ms.HeapAlloc) - int64(base)
	t.Logf("%d stalled HTTP/2 requests declaring 1 MiB, %d KiB sent: %d receiving, %d refused (%d of them not sent); heap %+d KiB", n, n*(chunkSize+1)>>10, s.receiving.Load(), refused, notSent, grown>>10)
	if grown > 16<<20 {
		t.Errorf("the heap grew by %d MiB; want it to follow the bytes sent (%d KiB), far from the %d MiB declared", grown>>20, n*(chunkSize+1)>>10, n)
	}
	if open := s.conns.Open(); open != 4 {
		t.Errorf("%d connection slots taken; want 4, the connection and 3 requests", open)
	}
	for _, w := range writers {
		w.CloseWithError(io.ErrUnexpectedEOF)
	}
	wg.Wait()
	testkit.WaitFor(t, 30*time.Second, testkit.Says("the slots given back"), func() bool { return s.conns.Open() <= 1 && s.receiving.Load() == 0 })
	req := testkit.SignedRequest(t, "stripe", "whsec_new", url, stripeBody("evt_1", "t", "o", time.Now().Unix()))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 202 || resp.ProtoMajor != 2 {
		t.Errorf("a signed request afterwards: %s %d %s; want HTTP/2 202", resp.Proto, resp.StatusCode, b)
	}
}

// TestStreamSlots: an HTTP/2 request beyond its connection's first takes
// a slot of max_conns and of its address's share, makes room at the cap
// by closing the connection idle longest as a new connection does, is
// refused (ErrBusy naming the limit) when none is idle, and gives its slot
// back when it ends.
func TestStreamSlots(t *testing.T) {
	l := newConnLimit(3, 0, nil, func() {}, func() {}) // no share per address
	admit := func(from string) *limitedConn {
		c, _ := l.admit(fakeConn{from: netip.AddrPortFrom(netip.MustParseAddr(from), 1000)})
		if c == nil {
			t.Fatalf("a connection from %s refused", from)
		}
		return c
	}
	a, b := admit("192.0.2.1"), admit("192.0.2.2")
	l.track(a, http.StateActive)
	l.track(b, http.StateIdle)
	ctx := l.connContext(context.Background(), a)
	type stream struct {
		c     *limitedConn
		extra bool
	}
	var open []stream
	for i, want := range []string{"", "", "", "http.max_conns)"} {
		c, extra, err := l.openStream(ctx)
		if want == "" {
			if err != nil || c != a {
				t.Fatalf("request %d: %v", i, err)
			}
			open = append(open, stream{c, extra})
		} else if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), want) {
			t.Errorf("request %d: %v; want ErrBusy naming %s", i, err, want)
		}
	}
	// The first request had the connection's slot, the second one more,
	// the third the idle connection's.
	if got := l.Open(); got != 3 || l.conns != a || a.next != nil {
		t.Errorf("%d slots taken, connections %v; want 3, and only the busy connection left", got, l.conns)
	}
	for _, s := range open {
		l.closeStream(s.c, s.extra)
	}
	if got := l.Open(); got != 1 {
		t.Errorf("%d slots taken once the requests ended; want 1, the connection's", got)
	}

	l = newConnLimit(10, 2, nil, func() {}, func() {})
	a = admit("2001:db8::1")
	ctx = l.connContext(context.Background(), a)
	for i, want := range []string{"", "", "http.max_conns_per_client"} {
		_, _, err := l.openStream(ctx)
		if (want == "") != (err == nil) || want != "" && !strings.Contains(err.Error(), "client 2001:db8::/64 has 2 connections and HTTP/2 requests ("+want) {
			t.Errorf("request %d from the address: %v; want %q", i, err, want)
		}
	}
	if _, refusal := l.admit(fakeConn{from: netip.MustParseAddrPort("[2001:db8::2]:1")}); refusal == nil {
		t.Error("a second connection from the /64 whose requests hold its share was admitted")
	}
}
