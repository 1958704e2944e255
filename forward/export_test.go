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
