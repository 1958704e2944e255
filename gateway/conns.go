package gateway

import (
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
// The server's ConnState hook (track) marks a connection idle or busy
// with one atomic store, no lock: the requests' path takes no lock here.
// Accepting and closing a connection take the lock; making room scans the
// open connections (at the cap only). It is safe for concurrent use.
type connLimit struct {
	max, perClient int64  // perClient 0: no share per address
	refused        func() // counts a refused connection
	evicted        func() // counts an idle connection closed to make room
	epoch          time.Time
	trusted        atomic.Pointer[prefixes] // peers without a share
	open           atomic.Int64             // changed under mu; read without

	mu      sync.Mutex
	conns   *limitedConn // the open connections, a list through their next and prev
	clients map[netip.Addr]int64
}

func newConnLimit(max, perClient int, trusted prefixes, refused, evicted func()) *connLimit {
	l := &connLimit{max: int64(max), perClient: int64(perClient), refused: refused, evicted: evicted,
		epoch: time.Now(), clients: map[netip.Addr]int64{}}
	l.setTrusted(trusted)
	return l
}

// setTrusted sets the peers whose connections have no share (a reload
// may change them).
func (l *connLimit) setTrusted(ps prefixes) { l.trusted.Store(&ps) }

// Open returns the number of connections open now.
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
	if lc.counted && l.clients[lc.client] >= l.perClient {
		l.mu.Unlock()
		return nil, refusalClient
	}
	if l.open.Load() >= l.max {
		victim := l.longestIdle()
		l.mu.Unlock()
		if victim == nil {
			return nil, refusalFull
		}
		victim.Close() // gives its place back
		l.evicted()
		l.mu.Lock()
	}
	l.open.Add(1)
	if lc.counted {
		l.clients[lc.client]++
	}
	lc.next = l.conns
	if l.conns != nil {
		l.conns.prev = lc
	}
	l.conns = lc
	l.mu.Unlock()
	return lc, nil
}

// longestIdle returns the open connection idle longest, or nil when none
// is idle. l.mu is held.
func (l *connLimit) longestIdle() *limitedConn {
	var oldest *limitedConn
	var since int64
	for c := l.conns; c != nil; c = c.next {
		if t := c.idle.Load(); t > 0 && (oldest == nil || t < since) {
			oldest, since = c, t
		}
	}
	return oldest
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
		if l.clients[c.client]--; l.clients[c.client] <= 0 {
			delete(l.clients, c.client) // the map holds only addresses with connections
		}
	}
	l.open.Add(-1)
}

// now is the time on the limit's monotonic clock, at least 1 (0 marks a
// busy connection).
func (l *connLimit) now() int64 { return int64(time.Since(l.epoch)) + 1 }

// track is the server's ConnState hook: a connection between requests (or
// before its first) is idle since now, one in a request is busy.
func (l *connLimit) track(c net.Conn, state http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		tc, isTLS := c.(*tls.Conn)
		if !isTLS {
			return
		}
		if lc, ok = tc.NetConn().(*limitedConn); !ok {
			return
		}
	}
	switch state {
	case http.StateIdle:
		lc.idle.Store(l.now())
	case http.StateActive, http.StateHijacked:
		lc.idle.Store(0)
	}
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
	idle       atomic.Int64 // idle since (connLimit.now); 0: in a request
	client     netip.Addr   // its share's key, when counted
	counted    bool         // counted in its address's share
	next, prev *limitedConn // in l.conns, under l.mu
	once       sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.remove(c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
