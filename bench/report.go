package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is what one load measured: a phase of a round, a latency run, or
// a side's rounds together.
type Result struct {
	Name string
	// Requests are the requests sent: answered, or failed without an
	// answer (Outcomes "error": a timeout, a reset).
	Requests int
	Elapsed  time.Duration
	Outcomes map[string]int // by answer: accepted, duplicate, stale, ok (the baseline), or "status NNN", "error"
	// Latency is p50, p90, p99 and max of every request sent, to its answer
	// or its failure: from when it was sent, or in a paced load (Rate) from
	// when it was scheduled to be.
	Latency    [4]time.Duration
	Stall      time.Duration // the longest interval without an answer
	Rate       float64       // the requests per second asked of a paced load; 0: saturated
	CPU        time.Duration // the server processes', over the load (and the drain); a setup's summed over its gateways
	ClientCPU  time.Duration // the load generator's own (this process), over the load
	PeakRSS    int64         // the server processes' peak resident memory so far; a setup's summed over its gateways
	Throughput float64       // requests per second

	lat []time.Duration // every request's latency, sorted: for the rounds together
}

// Spread is a figure over the rounds.
type Spread struct {
	Median, Min, Max float64
}

// spreadOf is the median, minimum and maximum of xs (the mean of the two
// middle ones for an even count); zero for none.
func spreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	n := len(xs)
	return Spread{Median: (xs[(n-1)/2] + xs[n/2]) / 2, Min: xs[0], Max: xs[n-1]}
}

// mergeResults is rs together, as one result called name: counts, elapsed
// time and CPU summed, latency percentiles over all their requests, the
// last peak RSS (a high-water mark), the longest stall.
func mergeResults(name string, rs []*Result) *Result {
	m := &Result{Name: name, Outcomes: map[string]int{}}
	var lat []time.Duration
	for _, r := range rs {
		m.Requests += r.Requests
		m.Elapsed += r.Elapsed
		for k, v := range r.Outcomes {
			m.Outcomes[k] += v
		}
		m.CPU += r.CPU
		m.ClientCPU += r.ClientCPU
		m.PeakRSS = max(m.PeakRSS, r.PeakRSS)
		m.Stall = max(m.Stall, r.Stall)
		lat = append(lat, r.lat...)
	}
	slices.Sort(lat)
	m.lat, m.Latency = lat, percentiles(lat)
	if m.Elapsed > 0 {
		m.Throughput = float64(m.Requests) / m.Elapsed.Seconds()
	}
	return m
}

// Phase is one saturated load of a round: the baseline's or a setup's.
type Phase struct {
	Round  int    // from 1
	Name   string // "baseline" or the setup's
	Result *Result
	// Ratio is a setup's requests/s over the baseline's in the same
	// round; 0 for the baseline, without one, and when a request of either
	// phase was not answered 2xx.
	Ratio float64
	// Drain is how long the outboxes took to empty after the last answer
	// (the sqlite backend); the next phase starts after it.
	Drain time.Duration
	// NATSCPU and NATSPeakRSS are a cluster setup's NATS nodes' CPU time
	// over the phase and peak RSS so far, summed over the nodes.
	NATSCPU     time.Duration
	NATSPeakRSS int64
	// Inside is what the setup's gateways measured themselves over the
	// phase; nil for a running gateway.
	Inside *Inside
}

// LatencyRun is a setup's paced run after the rounds: open loop at Rate,
// latency counted from each request's scheduled send time.
type LatencyRun struct {
	Rate     float64 // requests per second asked: half the setup's median saturated rate, or Options.Rate
	Baseline *Result // the baseline at the same rate, just before; nil without a baseline
	Result   *Result // the setup's
	// Inside is what the setup's gateways measured themselves over the
	// run; nil for a running gateway.
	Inside *Inside
}

// Setup is what one gateway setup of a run measured.
type Setup struct {
	Name     string // as in Options.Setups; "hookgate" for a running gateway
	Describe string // what it runs
	Backend  string // the gateways' storage.backend
	Gateways int    // gateway processes started (0: a running gateway)
	// Phases are the setup's saturated loads, one per round.
	Phases []*Phase
	// Result is its rounds together; its CPU and PeakRSS are summed over
	// the gateway processes, which hold the embedded NATS server when
	// there is no cluster.
	Result *Result
	// Rate is the requests/s of its rounds; Ratio their ratios to the
	// baseline of the same round (zero without a baseline, and when a
	// round has no ratio: a request not answered 2xx).
	Rate, Ratio Spread
	// Latency is the setup's latency run; nil without one.
	Latency *LatencyRun
	// NATSNodes are a cluster setup's NATS node processes; NATSCPU and
	// NATSPeakRSS their CPU time over the rounds and peak RSS, summed.
	NATSNodes   int
	NATSCPU     time.Duration
	NATSPeakRSS int64
	// Drain is the longest the outboxes took to empty after a round's
	// last answer (the sqlite backend); 0 with the jetstream backend,
	// whose 2xx comes once the event is on the stream.
	Drain time.Duration
	// Check says whether the answers are what the plan expects (Checked)
	// and every accepted event (of the rounds and the latency run) is on
	// the stream exactly once; a setup that fails it reports no figure.
	Check     error
	Checked   Checked
	OnStream  int // this run's events on the stream
	Uncertain int // of them, events answered 5xx or not at all, not accepted (each once)
	Samples   []Sample
	DataDir   string // the setup's directory when kept (Options.KeepDir)
	// MemLimit is the soft memory limit the (first) gateway ran with, as
	// its metrics report it (math.MaxInt64: none); 0 when not known.
	MemLimit int64
}

// Checked counts the events of the plan sent to a setup by what the
// exactly-once check expected of them (when it passed, they were so).
type Checked struct {
	New    int // new: each answered accepted once, and on the stream once
	Stale  int // sent after a newer version of their entity: none answered accepted
	Either int // a newer version of their entity within Window sends: accepted once or stale, as the gateway took them
	// Failed are the events of entities with a send answered 5xx or not
	// at all: accepted once or not, on the stream once or not.
	Failed   int
	Accepted int // events answered accepted, each once
	Window   int // twice the connections: how far apart two sends must be for the gateway to take them in order
}

// Report is a whole run.
type Report struct {
	Options Options
	// Phases are the rounds' loads in the order run: in odd rounds the
	// baseline's, then each setup's; in even rounds the same in reverse.
	Phases []*Phase
	// Baseline is the baseline's rounds together, BaselineRate their
	// requests/s; nil and zero without a baseline.
	Baseline     *Result
	BaselineRate Spread
	Setups       []*Setup // in the order of Options.Setups
	GOMAXPROCS   int
}

// Check is nil when every request of the run was answered 2xx and every
// setup passed the exactly-once check, and otherwise the failures, each
// naming its phase or its setup.
func (r *Report) Check() error {
	var errs []error
	for _, f := range r.notOK() {
		errs = append(errs, errors.New(f))
	}
	for _, s := range r.Setups {
		if s.Check != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name, s.Check))
		}
	}
	return errors.Join(errs...)
}

// notOK describes each load of the run (the rounds' phases and the
// latency runs) with requests not answered 2xx, in the order run.
func (r *Report) notOK() []string {
	var fs []string
	add := func(what string, res *Result) {
		if n, which := notOK(res); n > 0 {
			fs = append(fs, fmt.Sprintf("%s: %d of %d requests not answered 2xx (%s)", what, n, res.Requests, which))
		}
	}
	for _, ph := range r.Phases {
		add(fmt.Sprintf("round %d, %s", ph.Round, ph.Name), ph.Result)
	}
	for _, s := range r.Setups {
		if lr := s.Latency; lr != nil {
			if lr.Baseline != nil {
				add("latency run, baseline at "+s.Name+"'s rate", lr.Baseline)
			}
			add("latency run, "+s.Name, lr.Result)
		}
	}
	return fs
}

// notOK is how many of res's requests were not answered 2xx (answered
// another status, or not at all, or not sent: it could not be built), and
// those answers, e.g. "error: 1, status 503: 3"; 0 and "" when every one
// was answered 2xx.
func notOK(res *Result) (int, string) {
	n := 0
	var which []string
	for k, v := range res.Outcomes {
		if strings.HasPrefix(k, "status ") || k == "error" || strings.HasPrefix(k, "error: ") {
			n += v
			which = append(which, fmt.Sprintf("%s: %d", k, v))
		}
	}
	slices.Sort(which)
	return n, strings.Join(which, ", ")
}

// phaseHeader and writePhase print the rounds' phases as they are run.
func phaseHeader(w io.Writer) {
	fmt.Fprintf(w, "%-7s %-12s %9s %9s %10s %10s %7s\n", "round", "phase", "requests", "req/s", "p50", "p99", "ratio")
}

func writePhase(w io.Writer, rounds int, ph *Phase) {
	ratio := ""
	if ph.Ratio > 0 {
		ratio = fmt.Sprintf("%.2f", ph.Ratio)
	}
	res := ph.Result
	fmt.Fprintf(w, "%-7s %-12s %9d %9.0f %10s %10s %7s", fmt.Sprintf("%d/%d", ph.Round, rounds), ph.Name,
		res.Requests, res.Throughput, dur(res.Latency[0]), dur(res.Latency[2]), ratio)
	if n, which := notOK(res); n > 0 {
		fmt.Fprintf(w, "  %d not answered 2xx (%s): no ratio", n, which)
	}
	fmt.Fprintln(w)
}

func dur(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }

func (r *Report) write(w io.Writer) {
	cols := r.writeRounds(w)
	r.writeLatency(w)
	r.writeOther(w, cols)
	r.writeExtras(w)
	r.writeChecks(w)
}

// col is one column of the rounds table: the baseline (s nil) or a setup.
type col struct {
	res  *Result
	rate Spread
	s    *Setup
}

// writeRounds prints the rounds together, a column per side, and returns
// the columns.
func (r *Report) writeRounds(w io.Writer) []col {
	fmt.Fprintln(w)
	rounds := r.Options.Rounds
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	var cols []col
	if r.Baseline != nil {
		cols = append(cols, col{res: r.Baseline, rate: r.BaselineRate})
	}
	for _, s := range r.Setups {
		cols = append(cols, col{res: s.Result, rate: s.Rate, s: s})
	}
	t := &table{tw: tw, cols: cols}
	row, setupRow := t.row, t.setupRow
	fmt.Fprintf(w, "%d rounds, saturated (%d connections), together:\n", rounds, r.Options.Concurrency)
	row("", res(func(c *Result) string { return c.Name }))
	setupRow("gateways", func(s *Setup) string {
		if s.Gateways == 0 {
			return "running"
		}
		return strconv.Itoa(s.Gateways)
	})
	row("requests", res(func(c *Result) string { return strconv.Itoa(c.Requests) }))
	row("requests/s, median of rounds", func(c col) string { return fmt.Sprintf("%.0f", c.rate.Median) })
	row("requests/s, min - max", func(c col) string { return fmt.Sprintf("%.0f - %.0f", c.rate.Min, c.rate.Max) })
	if r.Baseline != nil {
		setupRow("ratio to baseline, median", func(s *Setup) string {
			if s.Check != nil || s.Ratio.Median == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", s.Ratio.Median)
		})
		setupRow("ratio, min - max", func(s *Setup) string {
			if s.Check != nil || s.Ratio.Median == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f - %.2f", s.Ratio.Min, s.Ratio.Max)
		})
	}
	row("accepted", res(func(c *Result) string { return strconv.Itoa(c.Outcomes["accepted"]) }))
	row("duplicate", res(func(c *Result) string { return strconv.Itoa(c.Outcomes["duplicate"]) }))
	row("stale", res(func(c *Result) string { return strconv.Itoa(c.Outcomes["stale"]) }))
	for i, q := range []string{"p50", "p90", "p99", "max"} {
		row("latency "+q, res(func(c *Result) string { return dur(c.Latency[i]) }))
	}
	setupRow("outbox drain after a round, longest", func(s *Setup) string {
		switch {
		case s.Gateways == 0:
			return "-" // a running gateway's outbox is not watched
		case s.Backend != "sqlite":
			return "none"
		}
		return s.Drain.Round(time.Millisecond).String()
	})
	clusters := slices.ContainsFunc(r.Setups, func(s *Setup) bool { return s.NATSNodes > 0 })
	t.resourceRows(clusters)
	tw.Flush()
	fmt.Fprintln(w, "CPU and peak RSS: of the server processes (from /proc), a setup's summed over its gateways;")
	fmt.Fprintln(w, "the load generator's CPU: this process's own over the loads (getrusage), on the same cores;")
	if clusters {
		fmt.Fprintln(w, "the embedded NATS server runs inside the gateway, a cluster's three NATS nodes are counted apart.")
	} else {
		fmt.Fprintln(w, "the embedded NATS server runs inside the gateway.")
	}
	return cols
}

// table is the rounds table: a row per figure, a column per side.
type table struct {
	tw   *tabwriter.Writer
	cols []col
}

// row prints a row named name with f's value for each column.
func (t *table) row(name string, f func(c col) string) {
	fmt.Fprintf(t.tw, "%s\t", name)
	for _, c := range t.cols {
		fmt.Fprintf(t.tw, "%s\t", f(c))
	}
	fmt.Fprintln(t.tw)
}

// setupRow is row with "-" in the baseline's column.
func (t *table) setupRow(name string, f func(s *Setup) string) {
	t.row(name, func(c col) string {
		if c.s == nil {
			return "-"
		}
		return f(c.s)
	})
}

// res makes a column function of a function of the column's result.
func res(f func(*Result) string) func(col) string { return func(c col) string { return f(c.res) } }

// resourceRows prints the servers' CPU and memory, and each setup's
// exactly-once check.
func (t *table) resourceRows(clusters bool) {
	row, setupRow := t.row, t.setupRow
	row("CPU s / 1000 req", res(func(c *Result) string {
		if c.CPU == 0 && c.PeakRSS == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f", c.CPU.Seconds()/float64(max(1, c.Requests))*1000)
	}))
	row("load generator CPU s / 1000 req", res(func(c *Result) string {
		if c.ClientCPU == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f", c.ClientCPU.Seconds()/float64(max(1, c.Requests))*1000)
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
}

// writeOther lists the answers that were neither accepted, duplicate nor
// stale, of the rounds and the latency runs.
func (r *Report) writeOther(w io.Writer, cols []col) {
	var other []string
	addOther := func(res *Result, suffix string) {
		for k, v := range res.Outcomes {
			switch k {
			case "accepted", "duplicate", "stale", "ok":
			default:
				other = append(other, fmt.Sprintf("%s%s %s: %d", res.Name, suffix, k, v))
			}
		}
	}
	for _, c := range cols {
		addOther(c.res, "")
	}
	for _, s := range r.Setups {
		if lr := s.Latency; lr != nil {
			addOther(lr.Result, " (latency run)")
			if lr.Baseline != nil {
				addOther(lr.Baseline, " (latency run at "+s.Name+"'s rate)")
			}
		}
	}
	slices.Sort(other)
	for _, s := range other {
		fmt.Fprintln(w, "other answers:", s)
	}
}

// writeExtras prints each setup's memory limit, kept directory and
// resource samples, when there are any.
func (r *Report) writeExtras(w io.Writer) {
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
}

// writeChecks prints the loads with requests not answered 2xx, each
// setup's exactly-once check and its ratio.
func (r *Report) writeChecks(w io.Writer) {
	rounds := r.Options.Rounds
	for _, f := range r.notOK() {
		fmt.Fprintf(w, "FAILED: %s; a round with one has no ratio\n", f)
	}
	for _, s := range r.Setups {
		if s.Check != nil {
			fmt.Fprintf(w, "exactly-once check %s FAILED: %v\nno figure for %s: a run that loses or repeats events measures nothing\n", s.Name, s.Check, s.Name)
			continue
		}
		c := s.Checked
		fmt.Fprintf(w, "exactly-once check %s: ok (over the rounds and the latency run, the plan's %d new events each answered accepted once, its %d sent after a newer version of their entity none",
			s.Name, c.New, c.Stale)
		if c.Either > 0 {
			fmt.Fprintf(w, ", its %d within %d sends of a newer one accepted once or stale", c.Either, c.Window)
		}
		fmt.Fprintf(w, "; %d accepted in all, each once on the stream", c.Accepted)
		if c.Failed > 0 {
			fmt.Fprintf(w, "; %d events of entities with a request answered 5xx or not at all accepted once or not", c.Failed)
		}
		if s.Uncertain > 0 {
			fmt.Fprintf(w, ", %d of them on the stream once though not accepted, as their retry would find them", s.Uncertain)
		}
		fmt.Fprintln(w, ")")
	}
	if r.Baseline != nil {
		for _, s := range r.Setups {
			if s.Check == nil && s.Ratio.Median > 0 {
				fmt.Fprintf(w, "ratio %s/baseline (requests/s, median of %d rounds): %.2f (min %.2f, max %.2f)\n", s.Name, rounds, s.Ratio.Median, s.Ratio.Min, s.Ratio.Max)
			}
		}
	}
}

// writeLatency prints the latency runs: for each setup, the baseline's at
// its rate, then its own.
func (r *Report) writeLatency(w io.Writer) {
	if !slices.ContainsFunc(r.Setups, func(s *Setup) bool { return s.Latency != nil }) {
		return
	}
	how := "half of each setup's median saturated rate"
	if r.Options.Rate > 0 {
		how = fmt.Sprintf("%.0f requests/s (-rate)", r.Options.Rate)
	}
	fmt.Fprintf(w, "\nlatency run at %s, open loop: each request sent at its scheduled time\n", how)
	fmt.Fprintln(w, "(by up to the connections' count at once), its latency counted from that time to its answer,")
	fmt.Fprintln(w, "or to its failure for a request that got none (a timeout, a reset: \"no answer\"):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\trequests\tasked req/s\tanswered req/s\tp50\tp99\tmax\tno answer\tlongest without an answer\t")
	line := func(name string, lr *LatencyRun, res *Result) {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%s\t%s\t%s\t%d\t%s\t\n", name, res.Requests, lr.Rate, float64(answered(res))/res.Elapsed.Seconds(),
			dur(res.Latency[0]), dur(res.Latency[2]), dur(res.Latency[3]), res.Outcomes["error"], dur(res.Stall))
	}
	for _, s := range r.Setups {
		lr := s.Latency
		if lr == nil {
			continue
		}
		if lr.Baseline != nil {
			line("baseline at "+s.Name+"'s rate", lr, lr.Baseline)
		}
		line(s.Name, lr, lr.Result)
	}
	tw.Flush()
	for _, s := range r.Setups {
		if s.Latency != nil && s.Latency.Inside != nil && s.Latency.Inside.Requests.Count > 0 {
			writeInside(w, s.Name, s.Latency.Inside)
		}
	}
}

// writeInside prints what a setup's gateways measured themselves over its
// latency run: the requests they held over 5 and 10 ms (from arrival to
// answer: the rest of a latency is outside the gateway), and where the
// sqlite backend's writer spent its batches.
func writeInside(w io.Writer, name string, in *Inside) {
	r := in.Requests
	fmt.Fprintf(w, "%s, inside the gateway over the latency run: requests over 5 ms / 10 ms from arrival to answer %.0f / %.0f of %.0f (mean %s)", name, r.Over5ms, r.Over10ms, r.Count, mean(r))
	if in.Batches > 0 {
		fmt.Fprintf(w, "; the writer's %.0f batches (%.1f events on average) and %.0f commits, per stage the mean and how many took over 5 ms / 10 ms:", in.Batches, in.Events/in.Batches, in.Stages[2].Count)
		for i, st := range in.Stages {
			fmt.Fprintf(w, " %s %s %.0f / %.0f", writerStages[i], mean(st), st.Over5ms, st.Over10ms)
			if i < len(in.Stages)-1 {
				fmt.Fprint(w, ",")
			}
		}
	}
	fmt.Fprintln(w)
}

// mean is t's mean duration.
func mean(t Timed) string {
	if t.Count == 0 {
		return "-"
	}
	return dur(time.Duration(t.Seconds / t.Count * float64(time.Second)))
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
