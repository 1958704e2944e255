package forward

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Dialer dials the NATS connection that a [JetStreamPublisher] publishes
// on: give each such connection one of its own with
// nats.SetCustomDialer(&forward.Dialer{...}).
//
// It counts its dials (each one starts a new connection) and refuses a
// dial while a publish is between checking that count and handing its
// message to the connection; nats.go then tries again after its reconnect
// wait. So a message whose publish found the count unchanged since its
// call began goes out on the connection the call began on, or fails (the
// connection is reconnecting): never on a newer connection, where it could
// be stored while an earlier message of the same call was lost with the
// old one. A check of the reconnect count before the send cannot give
// that: nats.go can complete a whole reconnection between the check and
// the send, and the send then succeeds on the new connection.
//
// nats.go dials with its connection lock held, so the dialer cannot wait
// for the publish (which needs that lock to send): it refuses instead. A
// refused dial counts as a reconnect attempt (nats.MaxReconnects: the
// gateway sets no limit) and costs one reconnect wait with a single
// server; with several, nats.go tries the next at once.
type Dialer struct {
	// Timeout bounds each dial; 0 means nats.go's default (2 s). nats.go
	// does not apply nats.Timeout to a custom dialer's dials.
	Timeout time.Duration

	mu    sync.RWMutex  // held for reading by a publish from its check to its send
	dials atomic.Uint64 // changed with mu held
}

var _ nats.CustomDialer = (*Dialer)(nil)

// errDialDeferred is a dial refused while a publish was handing a message
// to the current connection.
var errDialDeferred = errors.New("forward: dial deferred: a publish is handing a message to the previous connection")

// Dial implements nats.CustomDialer.
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	if !d.mu.TryLock() {
		return nil, errDialDeferred
	}
	d.dials.Add(1)
	d.mu.Unlock()
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = nats.GetDefaultOptions().Timeout
	}
	return (&net.Dialer{Timeout: timeout}).Dial(network, address)
}
