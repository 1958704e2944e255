//go:build unix

package forward_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/cputime"
)

// BenchmarkJetStreamPublisher publishes batches of 28 events of 1.5 KB
// (a saturated writer's batch) to the embedded server and waits for their
// acknowledgements. Besides the time per batch it reports the CPU the
// process spent per message (cpu-µs/msg), the embedded server's included:
// the figure that matters on a gateway whose cores are busy.
func BenchmarkJetStreamPublisher(b *testing.B) {
	s := mustServer(b, forward.ServerConfig{})
	nc := mustConn(b, s.ClientURL())
	mustJetStream(b, nc)
	p := mustJSPublisher(b, nc, 0)
	const batch = 28
	pad := []byte(strings.Repeat("x", 1400))
	n := 0
	b.ReportAllocs()
	cpu := cputime.Self()
	for b.Loop() {
		msgs := messages(n, n+batch)
		for i := range msgs {
			msgs[i].Body = append(msgs[i].Body, pad...)
		}
		n += batch
		if res, err := p.Publish(b.Context(), msgs, batch); err != nil || res.Acked != batch {
			b.Fatalf("Publish = %+v, %v", res, err)
		}
	}
	b.ReportMetric(float64(cputime.Self()-cpu)/float64(time.Microsecond)/float64(n), "cpu-µs/msg")
}
