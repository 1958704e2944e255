//go:build unix

package forward_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
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
	cpu := processCPU()
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
	b.ReportMetric(float64(processCPU()-cpu)/float64(time.Microsecond)/float64(n), "cpu-µs/msg")
}

// processCPU returns the user and system CPU time of the process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
