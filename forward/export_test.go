package forward

import "time"

// SetReadWait sets how long ReadSince waits for a message before it asks
// the consumer what is pending, until the returned function restores it.
// Not for parallel tests.
func SetReadWait(d time.Duration) (restore func()) {
	old := readWait
	readWait = d
	return func() { readWait = old }
}

// SetBeforeSend has p call f with a message's index between the check of
// its connection and its send. Set before p's first Publish.
func SetBeforeSend(p *JetStreamPublisher, f func(i int)) { p.beforeSend = f }

// ErrDialDeferred is the error of a dial a Dialer refused.
var ErrDialDeferred = errDialDeferred
