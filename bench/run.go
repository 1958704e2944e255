package bench

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hookgate/hookgate/config"
)

// memLimitRE is the syntax of GOMEMLIMIT (runtime package documentation);
// the runtime refuses to start on anything else.
var memLimitRE = regexp.MustCompile(`^[0-9]+(B|KiB|MiB|GiB|TiB)?$`)

// Run performs the benchmark and writes its report to w. It starts the
// baseline and every setup (each on a directory of its own), keeps them up
// for the whole run, and measures them in rounds: in each, the baseline
// and each setup, saturated, in turn (the baseline first in odd rounds,
// last in even ones, the setups' order reversed too), each with the
// round's part of the plan (so that every event is new to each gateway). Then, for each setup, the
// latency run: the baseline and then the setup, paced at half the setup's
// median rate (or Options.Rate), with the plan's last part. Last, it checks
// each setup's stream.
func Run(ctx context.Context, o Options, w io.Writer) (*Report, error) {
	specs, err := o.prepare()
	if err != nil {
		return nil, err
	}
	rep := &Report{Options: o, GOMAXPROCS: o.GOMAXPROCS}
	latency, parts, events := o.planShape()
	plans := makePlan(&o, events).split(parts)
	fmt.Fprintf(w, "hookgate bench: %d rounds of %d requests (%d distinct %s events in all, %.0f%% duplicates, %.0f%% out of order), %d connections, ~%d-byte bodies\n",
		o.Rounds, len(plans[0].sends), o.Events, o.Type, o.Duplicates*100, o.OutOfOrder*100, o.Concurrency, o.BodySize)
	fmt.Fprintf(w, "the load generator builds and signs a round's requests before the round starts (about %s)\n", mib(preparedBytes(&o, len(plans[0].sends))))

	// A self-contained run signs with a new secret; a running gateway is
	// sent what its provider's config signs, and so is the baseline.
	secret := newSecret()
	var running *target
	pc := &config.Provider{Name: "bench", Type: o.Type, Path: "/webhooks/bench",
		Secrets: []config.Secret{{Value: secret}}, Ordering: config.Ordering{Key: orderingKey, Version: orderingVersion}}
	if o.URL != "" {
		if running, err = runningGateway(&o); err != nil {
			return nil, err
		}
		pc = running.provider
	}
	var base *child
	if o.Baseline {
		fmt.Fprintln(w, "baseline: a plain net/http server whose handler reads the body and answers 200")
		if base, err = startChild(ctx, &o, "", true, "bench-baseline", "-listen", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		defer base.stop()
	}
	var runs []*setupRun
	defer func() {
		for _, sr := range runs {
			sr.smp.stop() // nil once finished
			sr.t.close()
		}
	}()
	for _, spec := range specs {
		fmt.Fprintf(w, "%s: %s\n", spec.name, spec.describe())
		t := running
		if t == nil {
			if t, err = startSetup(ctx, &o, spec, secret); err != nil {
				return nil, err
			}
		}
		runs = append(runs, newSetupRun(&o, t, len(plans[0].sends)*parts, events))
	}
	started := time.Now()

	fmt.Fprintln(w)
	phaseHeader(w)
	baseRounds, err := runRounds(ctx, &o, plans, base, pc, runs, rep, w)
	if err != nil {
		return nil, err
	}
	if base != nil {
		rep.Baseline = mergeResults("baseline", baseRounds)
		rep.BaselineRate = spreadOf(throughputs(baseRounds))
	}
	for _, sr := range runs {
		sr.s.total(base != nil)
	}

	if latency {
		if err := runLatency(ctx, &o, plans[len(plans)-1], base, pc, runs, w); err != nil {
			return nil, err
		}
	}

	for _, sr := range runs {
		sr.finish(ctx, &o, started, plans[0].runID)
		rep.Setups = append(rep.Setups, sr.s)
	}
	rep.write(w)
	return rep, nil
}

// runRounds runs the saturated rounds, each on its own plan, its phases in
// the order roundOrder gives: the baseline (when there is one) and every
// setup. A round's phases are printed once it is done, each setup's with
// its ratio to the baseline of the round. It returns the baseline's
// results.
func runRounds(ctx context.Context, o *Options, plans []plan, base *child, pc *config.Provider, runs []*setupRun, rep *Report, w io.Writer) ([]*Result, error) {
	var baseRounds []*Result
	for round := 1; round <= o.Rounds; round++ {
		p := plans[round-1]
		var b *Result
		var phases []*Phase // in the order run
		setups := make([]*Phase, len(runs))
		for _, k := range roundOrder(round, len(runs), base != nil) {
			if k < 0 {
				b = runBaseline(ctx, o, p, base, pc, 0)
				baseRounds = append(baseRounds, b)
				phases = append(phases, &Phase{Round: round, Name: b.Name, Result: b})
				continue
			}
			ph, err := runs[k].phase(ctx, o, p, 0)
			if err != nil {
				return nil, err
			}
			ph.Round = round
			setups[k] = ph
			phases = append(phases, ph)
		}
		for k, ph := range setups {
			if b != nil {
				ph.Ratio = ratio(ph.Result, b)
			}
			runs[k].s.Phases = append(runs[k].s.Phases, ph)
		}
		for _, ph := range phases {
			rep.Phases = append(rep.Phases, ph)
			writePhase(w, o.Rounds, ph)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return baseRounds, nil
}

// ratio is a setup's requests/s over the baseline's of the same round: 0
// (none) unless every request of both was answered 2xx. A server that
// answers 401, 429 or 503 quickly, or drops requests, has not done the
// work the other did: its rate and latencies measure something else.
func ratio(setup, baseline *Result) float64 {
	if n, _ := notOK(setup); n > 0 || baseline.Throughput <= 0 {
		return 0
	}
	if n, _ := notOK(baseline); n > 0 {
		return 0
	}
	return setup.Throughput / baseline.Throughput
}

// roundOrder is the order of the phases of round (from 1) over setups
// setups, with the baseline or not: -1 for the baseline, a setup's index
// for the setup. Odd rounds run the baseline and then the setups in turn,
// even rounds the same in reverse, so that no side always comes after
// another: a machine's drift and what a phase leaves behind (the
// collector's work, the page cache, the CPU's clock) fall on each side
// alike.
func roundOrder(round, setups int, baseline bool) []int {
	var order []int
	if baseline {
		order = append(order, -1)
	}
	for k := range setups {
		order = append(order, k)
	}
	if round%2 == 0 {
		slices.Reverse(order)
	}
	return order
}

// runLatency runs each setup, and the baseline before it, open loop at
// half the setup's median saturated rate (or o.Rate), on plan p.
func runLatency(ctx context.Context, o *Options, p plan, base *child, pc *config.Provider, runs []*setupRun, w io.Writer) error {
	for _, sr := range runs {
		lr := &LatencyRun{Rate: o.Rate}
		if lr.Rate == 0 {
			lr.Rate = sr.s.Rate.Median / 2
		}
		if lr.Rate <= 0 {
			continue // nothing answered: nothing to pace
		}
		fmt.Fprintf(w, "latency run %s: %.0f requests/s\n", sr.s.Name, lr.Rate)
		if base != nil {
			lr.Baseline = runBaseline(ctx, o, p, base, pc, lr.Rate)
		}
		ph, err := sr.phase(ctx, o, p, lr.Rate)
		if err != nil {
			return err
		}
		lr.Result, lr.Inside = ph.Result, ph.Inside
		sr.s.Latency = lr
	}
	return nil
}

// planShape is the run's plan: whether it has a latency run, the parts it
// is cut into (a round each, and the latency run's) and its distinct
// events (the rounds', and a round's share more for the latency run).
func (o *Options) planShape() (latency bool, parts, events int) {
	latency = o.Latency || o.Rate > 0
	parts, events = o.Rounds, o.Events
	if latency {
		parts, events = parts+1, events+o.Events/o.Rounds
	}
	return latency, parts, events
}

// maxPreparedBytes bounds what the load generator prepares before a round
// (all of its requests, see loader.ahead).
const maxPreparedBytes = 2 << 30

// preparedBytes is about what n prepared requests take: the body, the
// headers, and the buffer's and the queue's room.
func preparedBytes(o *Options, n int) int64 { return int64(n) * int64(o.BodySize+700) }

// prepare sets o's defaults and checks it, so that a bad option is refused
// before anything starts. It returns the setups to measure.
func (o *Options) prepare() ([]setupSpec, error) {
	o.defaults()
	if o.Duplicates < 0 || o.Duplicates > 1 || o.OutOfOrder < 0 || o.OutOfOrder > 1 {
		return nil, fmt.Errorf("bench: -duplicates %v and -out-of-order %v must be shares from 0 to 1", o.Duplicates, o.OutOfOrder)
	}
	if o.Rounds > o.Events {
		return nil, fmt.Errorf("bench: -rounds %d: each round needs events of its own; -events is %d", o.Rounds, o.Events)
	}
	if o.Rate < 0 {
		return nil, fmt.Errorf("bench: -rate %v is negative", o.Rate)
	}
	_, parts, events := o.planShape()
	round := (events + int(float64(events)*o.Duplicates) + parts - 1) / parts
	if b := preparedBytes(o, round); b > maxPreparedBytes {
		return nil, fmt.Errorf("bench: rounds of %d requests: the load generator prepares a round whole before it starts, about %s here, and at most %s; use more -rounds",
			round, mib(b), mib(maxPreparedBytes))
	}
	if o.MemLimit != "" && !memLimitRE.MatchString(o.MemLimit) {
		return nil, fmt.Errorf("bench: memory limit %q is not a GOMEMLIMIT value such as 192MiB or 1GiB", o.MemLimit)
	}
	specs, err := o.parseSetups()
	if err != nil {
		return nil, err
	}
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		o.Binary = exe
	}
	return specs, nil
}

// parseSetups reads o.Setups (default sqlite): each once; profiles need
// one gateway process in all, as each would write the same file.
func (o *Options) parseSetups() ([]setupSpec, error) {
	if o.URL != "" {
		if len(o.Setups) > 0 {
			return nil, errors.New("bench: -setups starts its own gateways; it does not go with -gateway")
		}
		return []setupSpec{{name: "hookgate", gateways: 1}}, nil
	}
	if len(o.Setups) == 0 {
		o.Setups = []string{"sqlite"}
	}
	var specs []setupSpec
	gateways := 0
	for i, name := range o.Setups {
		if slices.Contains(o.Setups[:i], name) {
			return nil, fmt.Errorf("bench: setup %q is named twice", name)
		}
		s, err := parseSetup(name)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
		gateways += s.gateways
	}
	if gateways > 1 && (o.CPUProfile != "" || o.MemProfile != "") {
		return nil, fmt.Errorf("bench: -cpuprofile and -memprofile profile one gateway; -setups %v starts %d", o.Setups, gateways)
	}
	return specs, nil
}

// newSecret makes the provider secret of a self-contained run: whsec_ and
// base64 suit both the schemes that use a secret verbatim and those that
// decode it (Standard Webhooks).
func newSecret() string {
	var b [24]byte
	crand.Read(b[:])
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
}

// setupRun is a setup during a run: its processes, what it measured so
// far, and for the check the parts of the plan it was sent and the answers
// to each event over its loads.
type setupRun struct {
	t        *target
	s        *Setup
	urls     []string      // where its loads go, in turn
	progress *atomic.Int64 // requests answered over its loads
	smp      *sampler      // nil: no samples
	sent     []plan        // in the order sent
	ans      answers
}

// newSetupRun prepares the measure of t, whose loads will send sends
// requests in all (for the samples' spacing) of a plan of events events,
// and starts its sampler.
func newSetupRun(o *Options, t *target, sends, events int) *setupRun {
	sr := &setupRun{t: t, progress: new(atomic.Int64), ans: newAnswers(events),
		s: &Setup{Name: t.spec.name, Describe: t.spec.describe(), Backend: t.spec.backend,
			Gateways: len(t.gateways), NATSNodes: len(t.nodes), DataDir: t.dir}}
	if t.dir != "" && t.tempDir != "" {
		sr.s.DataDir = "" // removed
	}
	for _, b := range t.bases {
		sr.urls = append(sr.urls, b+t.provider.Path)
	}
	if len(t.gateways) > 0 && o.Samples > 0 {
		sr.smp = startSampler(t, int64(max(1, sends/o.Samples)), sr.progress)
	}
	return sr
}

// phase sends the plan p to the setup, paced at rate (0: saturated), waits
// until its outboxes are drained (the sqlite backend), and returns what
// it measured: the load, and the gateways' and the NATS nodes' CPU time
// over it and their peak RSS so far. The answers go to sr.ans.
func (sr *setupRun) phase(ctx context.Context, o *Options, p plan, rate float64) (*Phase, error) {
	t := sr.t
	sqlite := t.spec.backend == config.BackendSQLite && len(t.gateways) > 0
	before, nodesBefore := readUsage(t.children()), readUsage(t.nodes)
	insideBefore := readInside(t.gateways, t.provider.Name)
	res, ans := load(ctx, o, p, sr.urls, t.provider, rate, sr.progress)
	res.Name = t.spec.name
	sr.sent = append(sr.sent, p)
	sr.ans.add(ans)
	ph := &Phase{Name: t.spec.name, Result: res}
	if sqlite {
		end := time.Now()
		for _, g := range t.gateways {
			if err := waitDrained(ctx, g.adminURL); err != nil {
				return nil, err
			}
		}
		ph.Drain = time.Since(end)
	}
	if len(t.gateways) > 0 {
		decided := 0
		if sqlite {
			decided = res.Outcomes["accepted"] + res.Outcomes["duplicate"] + res.Outcomes["stale"]
		}
		in := insideSince(ctx, t.gateways, t.provider.Name, insideBefore, answered(res), decided)
		ph.Inside = &in
		after := readUsage(t.children())
		res.CPU, res.PeakRSS = after.cpu-before.cpu, after.peakRSS
	}
	if len(t.nodes) > 0 {
		after := readUsage(t.nodes)
		ph.NATSCPU, ph.NATSPeakRSS = after.cpu-nodesBefore.cpu, after.peakRSS
	}
	return ph, nil
}

// answered is how many of res's requests the servers answered, whatever
// the status: those the gateways' own metrics count. A request that got no
// answer (Outcomes "error", or "error: ..." when it could not be built) is
// not among them.
func answered(res *Result) int {
	n := 0
	for k, v := range res.Outcomes {
		if k != "error" && !strings.HasPrefix(k, "error: ") {
			n += v
		}
	}
	return n
}

// total sets s's figures over its rounds from its phases; with a
// baseline, its ratios too, when every round has one (see ratio).
func (s *Setup) total(baseline bool) {
	var rs []*Result
	var ratios []float64
	for _, ph := range s.Phases {
		rs = append(rs, ph.Result)
		ratios = append(ratios, ph.Ratio)
		s.Drain = max(s.Drain, ph.Drain)
		s.NATSCPU += ph.NATSCPU
		s.NATSPeakRSS = max(s.NATSPeakRSS, ph.NATSPeakRSS)
	}
	s.Result = mergeResults(s.Name, rs)
	s.Rate = spreadOf(throughputs(rs))
	if baseline && !slices.Contains(ratios, 0) {
		s.Ratio = spreadOf(ratios) // only when every round has its ratio
	}
}

// throughputs are the requests/s of rs.
func throughputs(rs []*Result) []float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = r.Throughput
	}
	return xs
}

// finish stops the setup's sampler, reads its memory limit, and checks its
// answers against the plan and its stream: every event accepted in its
// loads since started, exactly once.
func (sr *setupRun) finish(ctx context.Context, o *Options, started time.Time, runID string) {
	t, s := sr.t, sr.s
	s.Samples = sr.smp.stop()
	if sr.smp != nil {
		sr.smp = nil
		last := sample(t.gateways)
		last.Done = int(sr.progress.Load())
		s.Samples = append(s.Samples, last)
	}
	if len(t.gateways) > 0 {
		if v, ok := readMetrics(t.gateways[0].adminURL)["go_gc_gomemlimit_bytes"]; ok {
			s.MemLimit = int64(min(v, math.MaxInt64))
		}
	}
	// A running gateway's outbox is not watched: wait for its relay on
	// the stream itself. The setups' outboxes were drained already, and
	// with the jetstream backend a 2xx came only once the event was on
	// the stream: the check waits for nothing.
	wait := time.Duration(0)
	if len(t.gateways) == 0 {
		wait = 30 * time.Second
	}
	window := 2 * o.Concurrency
	exp := expectations(len(sr.ans), sr.sent, window, t.provider.Ordering.Enabled())
	chk := checkStream(ctx, t.natsURL, t.cfg, started, t.provider.Name, runID, sr.ans, exp, wait)
	s.OnStream, s.Uncertain, s.Check = chk.onStream, chk.uncertain, chk.err
	s.Checked = Checked{New: chk.isNew, Stale: chk.isStale, Either: chk.either, Failed: chk.failed, Accepted: chk.accepted, Window: window}
}

// runBaseline sends the plan p to the baseline server c, paced at rate (0:
// saturated), signed as for pc.
func runBaseline(ctx context.Context, o *Options, p plan, c *child, pc *config.Provider, rate float64) *Result {
	before := readUsage([]*child{c})
	res, _ := load(ctx, o, p, []string{"http://" + c.addrs["addr"] + pc.Path}, pc, rate, nil)
	after := readUsage([]*child{c})
	res.Name, res.CPU, res.PeakRSS = "baseline", after.cpu-before.cpu, after.peakRSS
	return res
}
