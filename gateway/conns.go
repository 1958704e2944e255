package gateway

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// connLimit caps the open connections of the public listener
// (http.max_conns). A connection past the cap is accepted and closed at
// once, with a plain-HTTP 503 and Retry-After when the listener does not
// serve TLS, rather than left waiting in the kernel's backlog: the sender
// learns at once to retry, and the connections being served keep theirs.
// A slow sender holds a connection only for as long as the header and body
// deadlines (http.read_header_timeout, http.body_timeout) allow. It is safe
// for concurrent use.
type connLimit struct {
	max     int64
	refused func() // counts a refused connection
	open    atomic.Int64
}

// Open returns the number of connections open now.
func (l *connLimit) Open() int64 { return l.open.Load() }

// listener returns ln with the cap applied; plain says that ln serves
// plain HTTP (a refused connection then reads a 503).
func (l *connLimit) listener(ln net.Listener, plain bool) net.Listener {
	return &limitedListener{Listener: ln, l: l, plain: plain}
}

// refusal is what a connection past the cap reads.
var refusal = func() []byte {
	const body = `{"error":"too many connections"}`
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}()

type limitedListener struct {
	net.Listener
	l     *connLimit
	plain bool
}

// Accept returns the next connection within the cap.
func (ll *limitedListener) Accept() (net.Conn, error) {
	l := ll.l
	for {
		c, err := ll.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &limitedConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		l.refused()
		if ll.plain {
			// Never blocks the accept loop: a fresh socket's send buffer
			// takes these bytes, and the deadline covers the rest.
			c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			c.Write(refusal)
		}
		c.Close()
	}
}

// limitedConn gives its place back when closed.
type limitedConn struct {
	net.Conn
	l    *connLimit
	once sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}
