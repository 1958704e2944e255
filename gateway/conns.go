package gateway

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// connLimit caps the open connections of the public listener: at most max
// in all (http.max_conns), and at most perClient from one client address
// (http.max_conns_per_client; an IPv6 client by its /64, see clientKey),
// except from a trusted proxy (http.trusted_proxies), whose connections
// carry many senders'.
//
// At max, a new connection makes room by closing the connection that has
// been idle longest: a keep-alive connection between requests, or one
// that has not sent its first request yet (a slow one is cut by
// http.read_header_timeout anyway). Idle connections are what one client
// could otherwise hold every slot with, for up to http.idle_timeout. Only
// when none is idle (every connection is in a request) is the new
// connection refused. A connection refused (past max with none idle, or
// past its address's share) is accepted and closed at once, with a
// plain-HTTP 503 and Retry-After when the listener does not serve TLS,
// rather than left waiting in the kernel's backlog: the sender learns at
// once to retry, and the connections being served keep theirs. A slow
// sender holds a connection only for as long as the header and body
// deadlines (http.read_header_timeout, http.body_timeout) allow.
//
// An HTTP/2 connection carries several requests at once (up to
// http.max_concurrent_streams): each one beyond the first takes a slot of
// its own, of max and of its address's share, for as long as it runs
// (openStream), so that at most max requests are receiving or holding a
// body at once, whatever the protocol. A request that finds no slot gets
// 503.
//
// The server's ConnState hook (track) marks a connection idle or busy
// with one atomic store, no lock: the requests' path takes no lock here
// (an HTTP/2 request's slot is a few atomic adds). Accepting and closing
// a connection take the lock; making room scans the open connections (at
// the cap only). It is safe for concurrent use.
type connLimit struct {
	max, perClient int64  // perClient 0: no share per address
	refused        func() // counts a refused connection
	evicted        func() // counts an idle connection closed to make room
	epoch          time.Time
	trusted        atomic.Pointer[prefixes] // peers without a share
	open           atomic.Int64             // slots taken: connections and their extra streams

	mu      sync.Mutex
	conns   *limitedConn // the open connections, a list through their next and prev
	clients map[netip.Addr]*share
}

// share counts the slots one client address holds.
type share struct{ n atomic.Int64 }

func newConnLimit(max, perClient int, trusted prefixes, refused, evicted func()) *connLimit {
	l := &connLimit{max: int64(max), perClient: int64(perClient), refused: refused, evicted: evicted,
		epoch: time.Now(), clients: map[netip.Addr]*share{}}
	l.setTrusted(trusted)
	return l
}

// setTrusted sets the peers whose connections have no share (a reload
// may change them).
func (l *connLimit) setTrusted(ps prefixes) { l.trusted.Store(&ps) }

// Open returns the number of slots taken now: the open connections and
// their HTTP/2 requests beyond the first.
func (l *connLimit) Open() int64 { return l.open.Load() }

// listener returns ln with the cap applied; plain says that ln serves
// plain HTTP (a refused connection then reads a 503).
func (l *connLimit) listener(ln net.Listener, plain bool) net.Listener {
	return &limitedListener{Listener: ln, l: l, plain: plain}
}

// refusal is what a plain-HTTP connection past a cap reads.
func refusal(msg string) []byte {
	body := `{"error":"` + msg + `"}`
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

var (
	refusalFull   = refusal("too many connections")
	refusalClient = refusal("too many connections from this address")
)

type limitedListener struct {
	net.Listener
	l     *connLimit
	plain bool
}

// Accept returns the next connection within the caps.
func (ll *limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := ll.Listener.Accept()
		if err != nil {
			return nil, err
		}
		lc, refusal := ll.l.admit(c)
		if lc != nil {
			return lc, nil
		}
		ll.l.refused()
		if ll.plain {
			// Never blocks the accept loop: a fresh socket's send buffer
			// takes these bytes, and the deadline covers the rest.
			c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			c.Write(refusal)
		}
		c.Close()
	}
}

// admit returns c as a connection within the caps, closing the longest
// idle connection to make room at max; or nil and what a refused
// connection reads.
func (l *connLimit) admit(c net.Conn) (*limitedConn, []byte) {
	lc := &limitedConn{Conn: c, l: l}
	lc.idle.Store(l.now()) // idle until its first request
	if a, ok := peerAddr(c); ok && l.perClient > 0 && !l.trusted.Load().contains(a) {
		lc.client, lc.counted = clientKey(a), true
	}
	l.mu.Lock()
	if lc.counted {
		// The address's slot first: a victim closed below may be its
		// last connection, whose share must then stay.
		lc.share = l.clients[lc.client]
		if lc.share == nil {
			lc.share = &share{}
			l.clients[lc.client] = lc.share
		}
		if lc.share.n.Add(1) > l.perClient {
			l.unshareLocked(lc)
			l.mu.Unlock()
			return nil, refusalClient
		}
	}
	if l.open.Add(1) > l.max {
		victim := l.longestIdle()
		if victim == nil {
			l.open.Add(-1)
			if lc.counted {
				l.unshareLocked(lc)
			}
			l.mu.Unlock()
			return nil, refusalFull
		}
		l.mu.Unlock()
		victim.Close() // gives its place back
		l.evicted()
		l.mu.Lock()
	}
	lc.next = l.conns
	if l.conns != nil {
		l.conns.prev = lc
	}
	l.conns = lc
	l.mu.Unlock()
	return lc, nil
}

// longestIdle claims the open connection idle longest for its caller to
// close, or returns nil when none is idle. A claimed connection is idle
// no more (claimed): no other caller picks it, and it reads nothing more
// (limitedConn.Read), so a request that arrives as it is claimed is not
// read, rather than read and then cut by the close. l.mu is held.
func (l *connLimit) longestIdle() *limitedConn {
	for {
		var oldest *limitedConn
		var since int64
		for c := l.conns; c != nil; c = c.next {
			if t := c.idle.Load(); t > 0 && (oldest == nil || t < since) {
				oldest, since = c, t
			}
		}
		if oldest == nil || oldest.idle.CompareAndSwap(since, claimed) {
			return oldest
		}
		// It turned busy meanwhile: look again.
	}
}

// remove takes c off the open connections. l.mu is held.
func (l *connLimit) remove(c *limitedConn) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		l.conns = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	c.next, c.prev = nil, nil
	if c.counted {
		l.unshareLocked(c)
	}
	l.open.Add(-1)
}

// unshareLocked gives back a slot of c's address's share. l.mu is held.
func (l *connLimit) unshareLocked(c *limitedConn) {
	if c.share.n.Add(-1) <= 0 && l.clients[c.client] == c.share {
		delete(l.clients, c.client) // the map holds only addresses with slots
	}
}

// unshare gives back a slot of c's address's share.
func (l *connLimit) unshare(c *limitedConn) {
	if c.share.n.Add(-1) > 0 {
		return
	}
	l.mu.Lock()
	if c.share.n.Load() <= 0 && l.clients[c.client] == c.share {
		delete(l.clients, c.client)
	}
	l.mu.Unlock()
}

// connKey is the context key of a request's connection (connContext).
type connKey struct{}

// connContext is the server's ConnContext hook: it puts the connection
// in its requests' context, for openStream.
func (l *connLimit) connContext(ctx context.Context, c net.Conn) context.Context {
	if lc := asLimited(c); lc != nil {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

// openStream takes a slot for an HTTP/2 request beyond its connection's
// first (see connLimit), making room at max as a new connection does; the
// error wraps ErrBusy and names the limit. The request gives it back with
// closeStream(c, extra) when it ends, after a nil error.
func (l *connLimit) openStream(ctx context.Context) (c *limitedConn, extra bool, err error) {
	c, _ = ctx.Value(connKey{}).(*limitedConn)
	if c == nil {
		return nil, false, nil
	}
	if c.streams.Add(1) == 1 {
		return c, false, nil // the connection's own slot
	}
	if c.counted {
		if n := c.share.n.Add(1); n > l.perClient {
			l.unshare(c)
			c.streams.Add(-1)
			return nil, false, fmt.Errorf("%w: client %s has %d connections and HTTP/2 requests (http.max_conns_per_client)", ErrBusy, clientName(c.client), l.perClient)
		}
	}
	if l.open.Add(1) > l.max && !l.makeRoom() {
		l.open.Add(-1)
		if c.counted {
			l.unshare(c)
		}
		c.streams.Add(-1)
		return nil, false, fmt.Errorf("%w: the gateway has %d connections and HTTP/2 requests (http.max_conns)", ErrBusy, l.max)
	}
	return c, true, nil
}

// closeStream ends a request that openStream admitted.
func (l *connLimit) closeStream(c *limitedConn, extra bool) {
	if c == nil {
		return
	}
	c.streams.Add(-1)
	if extra {
		if c.counted {
			l.unshare(c)
		}
		l.open.Add(-1)
	}
}

// makeRoom closes the connection idle longest, if any is.
func (l *connLimit) makeRoom() bool {
	l.mu.Lock()
	victim := l.longestIdle()
	l.mu.Unlock()
	if victim == nil {
		return false
	}
	victim.Close()
	l.evicted()
	return true
}

// now is the time on the limit's monotonic clock, at least 1 (0 marks a
// busy connection).
func (l *connLimit) now() int64 { return int64(time.Since(l.epoch)) + 1 }

// track is the server's ConnState hook: a connection between requests (or
// before its first) is idle since now, one in a request is busy.
func (l *connLimit) track(c net.Conn, state http.ConnState) {
	lc := asLimited(c)
	if lc == nil {
		return
	}
	switch state {
	case http.StateIdle:
		lc.mark(l.now())
	case http.StateActive, http.StateHijacked:
		lc.mark(0)
	}
}

// claimed is the idle mark of a connection that longestIdle picked to
// close.
const claimed = -1

// mark sets c's idle mark (a time, or 0 for busy) unless it is claimed.
func (c *limitedConn) mark(v int64) {
	for t := c.idle.Load(); t != claimed && t != v && !c.idle.CompareAndSwap(t, v); t = c.idle.Load() {
	}
}

// asLimited is the limitedConn of a connection the server serves (nil
// for another): c itself, or what its TLS runs on.
func asLimited(c net.Conn) *limitedConn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	lc, _ := c.(*limitedConn)
	return lc
}

// peerAddr is the address of c's peer.
func peerAddr(c net.Conn) (netip.Addr, bool) {
	ta, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	a := ta.AddrPort().Addr()
	return a, a.IsValid()
}

// limitedConn gives its place back when closed.
type limitedConn struct {
	net.Conn
	l          *connLimit
	idle       atomic.Int64 // idle since (connLimit.now); 0: in a request; claimed
	h2         atomic.Bool  // HTTP/2 may be negotiated (the client offers it): reads do not mark it busy
	client     netip.Addr   // its share's key, when counted
	counted    bool         // counted in its address's share
	share      *share       // its address's, when counted
	streams    atomic.Int64 // HTTP/2 requests running (openStream)
	next, prev *limitedConn // in l.conns, under l.mu
	once       sync.Once
}

// Read marks c busy once bytes arrive on it (a request begins before the
// server's ConnState hook says so, once its header is read), so that no
// connection whose request is being read is closed to make room; and
// reads nothing on a connection claimed to be closed. An HTTP/2
// connection is left to the hook: its PINGs would keep it busy for ever.
func (c *limitedConn) Read(b []byte) (int, error) {
	if c.idle.Load() == claimed {
		return 0, net.ErrClosed
	}
	n, err := c.Conn.Read(b)
	if n > 0 && !c.h2.Load() {
		for t := c.idle.Load(); t != 0; t = c.idle.Load() {
			if t == claimed {
				return 0, net.ErrClosed // never seen: the sender retries on a new connection
			}
			if c.idle.CompareAndSwap(t, 0) {
				break
			}
		}
	}
	return n, err
}

func (c *limitedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.remove(c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
