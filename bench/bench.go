// Package bench is hookgate's load benchmark: it sends signed events to a
// gateway and, in the same run, the same requests to the plain net/http
// handler a user would otherwise write, which reads the body and answers
// 200 (the baseline), and reports the two side by side. The run alternates
// them: each round measures the baseline and each gateway setup at
// saturation, in turn (the baseline first in odd rounds, last in even
// ones), and the report gives each setup's median ratio to the baseline of
// the same round. Then a latency run sends each setup, and the
// baseline, half that setup's median rate on a fixed schedule (open loop).
// A figure is only printed for a setup whose answers are what the plan
// expects (its new events accepted once, its late versions not) and on
// whose stream every accepted event is exactly once.
//
// By default it starts both servers as child processes of the hookgate
// binary (`serve` on a temp data directory with an embedded NATS server, and
// `bench-baseline`), so that their CPU time and memory are measured apart
// from the load generator's.
package bench

import (
	"time"
)

// Options configure a run.
type Options struct {
	Binary      string        // the hookgate binary for the child processes (default: this executable)
	Type        string        // provider type of the events (default stripe)
	Events      int           // distinct events over the rounds (default 60,000); the latency run sends a round's share more
	Rounds      int           // rounds of the baseline and each setup, saturated (default 3)
	Concurrency int           // client connections (default 64)
	Duplicates  float64       // share of extra sends that repeat an event (default 0.05)
	OutOfOrder  float64       // share of events sent after a newer version of their entity (default 0.05)
	BodySize    int           // approximate body size in bytes (default 1,500)
	Latency     bool          // after the rounds, a paced latency run per setup (with Rate set, always)
	Rate        float64       // the latency run's requests per second; 0: half of each setup's median saturated rate
	Baseline    bool          // also measure the baseline
	TTL         time.Duration // dedupe TTL of the gateway's provider (default 168h)
	StreamAge   time.Duration // the stream's max_age (0: no limit; the check needs every message kept)
	DupWindow   time.Duration // the stream's duplicate window (default 2m)
	Sync        string        // storage.synchronous (default full)
	GOMAXPROCS  int           // for the child processes; 0: their own choice
	CPUSet      string        // pin the child processes to these CPUs (taskset -c), e.g. "0" for one core
	MemLimit    string        // GOMEMLIMIT of the child processes, e.g. "192MiB"; empty: none
	KeepDir     bool          // keep the gateway's data directory
	LogLevel    string        // the gateway's -log-level (default info, as in production: rejections only)
	CPUProfile  string        // write the gateway's CPU profile here
	MemProfile  string        // write the gateway's heap profile here at its shutdown
	Samples     int           // resource samples printed during each setup's rounds (0: none)

	// Setups are the gateway setups measured in each round one after the
	// other, each on a directory of its own (default: sqlite), all up for
	// the whole run. sqlite: one gateway with the
	// SQLite backend and the embedded NATS server; jetstream: one gateway
	// with storage.backend jetstream on its embedded server (a one-node,
	// R1 stream); cluster-N: N gateways with storage.backend jetstream on
	// a three-node NATS cluster of child processes (an R3 stream), each
	// request sent to the next gateway.
	Setups []string

	// URL, when set, targets a running gateway instead: its base URL, the
	// provider's config (for the secret and path) and NATS (for the
	// exactly-once check) come from Config and Provider.
	URL      string
	Config   string
	Provider string
}

func (o *Options) defaults() {
	if o.Type == "" {
		o.Type = "stripe"
	}
	if o.Events <= 0 {
		o.Events = 60000
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.BodySize <= 0 {
		o.BodySize = 1500
	}
	if o.TTL <= 0 {
		o.TTL = 168 * time.Hour
	}
	if o.Sync == "" {
		o.Sync = "full"
	}
	if o.DupWindow <= 0 {
		o.DupWindow = 2 * time.Minute
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
}
