package forward_test

import (
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
)

// TestReadSinceWaitsForPending: a wait for the next message that runs out
// while the consumer still has messages pending (a server slow to deliver:
// here the wait is 1 µs, shorter than any delivery) is not taken as the
// rest having been removed: every message after the sequence is read.
func TestReadSinceWaitsForPending(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	nc := mustConn(t, s.ClientURL())
	js := mustJetStream(t, nc)
	const n = 300
	msgs := messages(0, n)
	if res, err := mustJSPublisher(t, nc, 0).Publish(testCtx(t), msgs, 64); err != nil || res.Acked != n {
		t.Fatalf("Publish = %+v, %v", res, err)
	}
	defer forward.SetReadWait(time.Microsecond)()
	var ids []string
	last, err := forward.ReadSince(testCtx(t), js, forward.DefaultStreamName, 10, func(_ uint64, m forward.Message) error {
		ids = append(ids, m.ID)
		return nil
	})
	if err != nil || last != n {
		t.Fatalf("ReadSince = %d, %v; want %d, nil", last, err, n)
	}
	if len(ids) != n-10 || ids[0] != msgs[10].ID || ids[len(ids)-1] != msgs[n-1].ID {
		t.Fatalf("ReadSince read %d messages (%v ... ); want the %d after sequence 10", len(ids), ids[:min(3, len(ids))], n-10)
	}
}
