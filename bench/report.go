package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// Result is what one side of a run measured.
type Result struct {
	Name       string
	Requests   int
	Elapsed    time.Duration
	Outcomes   map[string]int // by answer: accepted, duplicate, stale, or "status NNN", "error"
	Latency    [4]time.Duration
	CPU        time.Duration // the server processes', over the run (and the drain); a setup's summed over its gateways
	PeakRSS    int64         // the server processes' peak resident memory; a setup's summed over its gateways
	Throughput float64       // requests per second
}

// Setup is what one gateway setup of a run measured.
type Setup struct {
	Name     string // as in Options.Setups; "hookgate" for a running gateway
	Describe string // what it runs
	Backend  string // the gateways' storage.backend
	Gateways int    // gateway processes started (0: a running gateway)
	// Result is the load's; its CPU and PeakRSS are summed over the
	// gateway processes, which hold the embedded NATS server when there is
	// no cluster.
	Result *Result
	// NATSNodes are a cluster setup's NATS node processes; NATSCPU and
	// NATSPeakRSS their CPU time over the run and peak RSS, summed.
	NATSNodes   int
	NATSCPU     time.Duration
	NATSPeakRSS int64
	// Drain is how long the outboxes took to empty after the last answer
	// (the sqlite backend); 0 with the jetstream backend, whose 2xx comes
	// once the event is on the stream.
	Drain time.Duration
	// Ratio is the setup's throughput over the baseline's.
	Ratio float64
	// Check says whether every accepted event is on the stream exactly
	// once; a setup that fails it reports no figure.
	Check     error
	OnStream  int // this run's events on the stream
	Uncertain int // of them, events answered 5xx or not at all (each once)
	Samples   []Sample
	DataDir   string // the setup's directory when kept (Options.KeepDir)
	// MemLimit is the soft memory limit the (first) gateway ran with, as
	// its metrics report it (math.MaxInt64: none); 0 when not known.
	MemLimit int64
}

// Report is a whole run.
type Report struct {
	Options    Options
	Baseline   *Result
	Setups     []*Setup // in the order measured
	GOMAXPROCS int
}

// Check is nil when every setup passed the exactly-once check, and
// otherwise the failures, each naming its setup.
func (r *Report) Check() error {
	var errs []error
	for _, s := range r.Setups {
		if s.Check != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name, s.Check))
		}
	}
	return errors.Join(errs...)
}

func (r *Report) write(w io.Writer) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	type col struct {
		res *Result
		s   *Setup // nil for the baseline
	}
	var cols []col
	if r.Baseline != nil {
		cols = append(cols, col{res: r.Baseline})
	}
	for _, s := range r.Setups {
		cols = append(cols, col{res: s.Result, s: s})
	}
	clusters := slices.ContainsFunc(r.Setups, func(s *Setup) bool { return s.NATSNodes > 0 })
	row := func(name string, f func(c col) string) {
		fmt.Fprintf(tw, "%s\t", name)
		for _, c := range cols {
			fmt.Fprintf(tw, "%s\t", f(c))
		}
		fmt.Fprintln(tw)
	}
	setupRow := func(name string, f func(s *Setup) string) {
		row(name, func(c col) string {
			if c.s == nil {
				return "-"
			}
			return f(c.s)
		})
	}
	res := func(f func(*Result) string) func(col) string { return func(c col) string { return f(c.res) } }
	row("", res(func(c *Result) string { return c.Name }))
	setupRow("gateways", func(s *Setup) string {
		if s.Gateways == 0 {
			return "running"
		}
		return strconv.Itoa(s.Gateways)
	})
	row("requests", res(func(c *Result) string { return strconv.Itoa(c.Requests) }))
	row("requests/s", res(func(c *Result) string { return fmt.Sprintf("%.0f", c.Throughput) }))
	if r.Baseline != nil {
		setupRow("ratio to baseline", func(s *Setup) string {
			if s.Check != nil {
				return "-"
			}
			return fmt.Sprintf("%.2f", s.Ratio)
		})
	}
	row("accepted", res(func(c *Result) string { return strconv.Itoa(c.Outcomes["accepted"]) }))
	row("duplicate", res(func(c *Result) string { return strconv.Itoa(c.Outcomes["duplicate"]) }))
	row("stale", res(func(c *Result) string { return strconv.Itoa(c.Outcomes["stale"]) }))
	row("accepted/s", res(func(c *Result) string {
		return fmt.Sprintf("%.0f", float64(c.Outcomes["accepted"])/c.Elapsed.Seconds())
	}))
	for i, q := range []string{"p50", "p90", "p99", "max"} {
		row("latency "+q, res(func(c *Result) string { return c.Latency[i].Round(10 * time.Microsecond).String() }))
	}
	setupRow("outbox drain after load", func(s *Setup) string {
		switch {
		case s.Gateways == 0:
			return "-" // a running gateway's outbox is not watched
		case s.Backend != "sqlite":
			return "none"
		}
		return s.Drain.Round(time.Millisecond).String()
	})
	row("CPU s / 1000 req", res(func(c *Result) string {
		if c.CPU == 0 && c.PeakRSS == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f", c.CPU.Seconds()/float64(max(1, c.Requests))*1000)
	}))
	row("peak RSS", res(func(c *Result) string {
		if c.PeakRSS == 0 {
			return "-"
		}
		return mib(c.PeakRSS)
	}))
	if clusters {
		setupRow("NATS nodes CPU s / 1000 req", func(s *Setup) string {
			if s.NATSNodes == 0 {
				return "-"
			}
			return fmt.Sprintf("%.3f", s.NATSCPU.Seconds()/float64(max(1, s.Result.Requests))*1000)
		})
		setupRow("NATS nodes peak RSS", func(s *Setup) string {
			if s.NATSNodes == 0 {
				return "-"
			}
			return mib(s.NATSPeakRSS)
		})
	}
	setupRow("exactly-once check", func(s *Setup) string {
		if s.Check != nil {
			return "FAILED"
		}
		return "ok"
	})
	tw.Flush()
	fmt.Fprintln(w, "CPU and peak RSS: of the server processes (from /proc), a setup's summed over its gateways;")
	if clusters {
		fmt.Fprintln(w, "the embedded NATS server runs inside the gateway, a cluster's three NATS nodes are counted apart.")
	} else {
		fmt.Fprintln(w, "the embedded NATS server runs inside the gateway.")
	}
	var other []string
	for _, c := range cols {
		for k, v := range c.res.Outcomes {
			switch k {
			case "accepted", "duplicate", "stale", "ok":
			default:
				other = append(other, fmt.Sprintf("%s %s: %d", c.res.Name, k, v))
			}
		}
	}
	slices.Sort(other)
	for _, s := range other {
		fmt.Fprintln(w, "other answers:", s)
	}
	for _, s := range r.Setups {
		if s.MemLimit > 0 && s.MemLimit < math.MaxInt64 {
			fmt.Fprintf(w, "%s: gateway memory limit (GOMEMLIMIT): %s\n", s.Name, mib(s.MemLimit))
		}
		if s.DataDir != "" {
			fmt.Fprintf(w, "%s: directory kept: %s\n", s.Name, s.DataDir)
		}
		if len(s.Samples) > 0 {
			fmt.Fprintf(w, "%s: gateway resources during the run (summed over its gateways):\n", s.Name)
			for _, smp := range s.Samples {
				fmt.Fprintf(w, "  after %8d requests: RSS %s, live Go heap %s, data directory %s\n",
					smp.Done, mib(smp.RSS), mib(smp.HeapLive), mib(smp.DBBytes))
			}
		}
	}
	for _, s := range r.Setups {
		if s.Check != nil {
			fmt.Fprintf(w, "exactly-once check %s FAILED: %v\nno figure for %s: a run that loses or repeats events measures nothing\n", s.Name, s.Check, s.Name)
			continue
		}
		fmt.Fprintf(w, "exactly-once check %s: ok (%d accepted events, each once on the stream", s.Name, s.Result.Outcomes["accepted"])
		if s.Uncertain > 0 {
			fmt.Fprintf(w, "; %d events answered 5xx or not at all are on it once, as their retry would find them", s.Uncertain)
		}
		fmt.Fprintln(w, ")")
	}
	if r.Baseline != nil && r.Options.Rate > 0 {
		fmt.Fprintf(w, "paced at %.0f requests/s (-rate): a ratio only says whether a setup kept the pace; compare latency and CPU\n", r.Options.Rate)
	}
	if r.Baseline != nil {
		for _, s := range r.Setups {
			if s.Check == nil {
				fmt.Fprintf(w, "ratio %s/baseline (requests/s): %.2f\n", s.Name, s.Ratio)
			}
		}
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
