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
	"sync/atomic"
	"time"

	"hookgate/config"
)

// memLimitRE is the syntax of GOMEMLIMIT (runtime package documentation);
// the runtime refuses to start on anything else.
var memLimitRE = regexp.MustCompile(`^[0-9]+(B|KiB|MiB|GiB|TiB)?$`)

// Run performs the benchmark and writes its report to w: the baseline
// first, then each setup in turn on a fresh directory (and cluster), all
// with the same plan of events.
func Run(ctx context.Context, o Options, w io.Writer) (*Report, error) {
	specs, err := o.prepare()
	if err != nil {
		return nil, err
	}
	rep := &Report{Options: o, GOMAXPROCS: o.GOMAXPROCS}
	p := makePlan(&o)
	fmt.Fprintf(w, "hookgate bench: %d requests (%d distinct %s events, %.0f%% duplicates, %.0f%% out of order), %d connections, ~%d-byte bodies\n",
		len(p.sends), o.Events, o.Type, o.Duplicates*100, o.OutOfOrder*100, o.Concurrency, o.BodySize)

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
	if o.Baseline {
		fmt.Fprintln(w, "measuring baseline: echo on net/http, a handler that reads the body and answers 200")
		if rep.Baseline, err = runBaseline(ctx, &o, p, pc); err != nil {
			return nil, err
		}
	}
	for _, spec := range specs {
		fmt.Fprintf(w, "measuring %s: %s\n", spec.name, spec.describe())
		t := running
		if t == nil {
			if t, err = startSetup(ctx, &o, spec, secret); err != nil {
				return nil, err
			}
		}
		s, err := runSetup(ctx, &o, p, t)
		t.close()
		if err != nil {
			return nil, err
		}
		if rep.Baseline != nil && rep.Baseline.Throughput > 0 {
			s.Ratio = s.Result.Throughput / rep.Baseline.Throughput
		}
		rep.Setups = append(rep.Setups, s)
	}
	rep.write(w)
	return rep, nil
}

// prepare sets o's defaults and checks it, so that a bad option is refused
// before anything starts. It returns the setups to measure.
func (o *Options) prepare() ([]setupSpec, error) {
	o.defaults()
	if o.Duplicates < 0 || o.Duplicates > 1 || o.OutOfOrder < 0 || o.OutOfOrder > 1 {
		return nil, fmt.Errorf("bench: -duplicates %v and -out-of-order %v must be shares from 0 to 1", o.Duplicates, o.OutOfOrder)
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

// runSetup measures the setup t with the plan and checks the stream.
func runSetup(ctx context.Context, o *Options, p plan, t *target) (*Setup, error) {
	s := &Setup{Name: t.spec.name, Describe: t.spec.describe(), Backend: t.spec.backend,
		Gateways: len(t.gateways), NATSNodes: len(t.nodes), DataDir: t.dir}
	if t.dir != "" && t.tempDir != "" {
		s.DataDir = "" // removed
	}
	started := time.Now()
	ans, err := runPipeline(ctx, o, p, t, s)
	if err != nil {
		return nil, err
	}
	// A running gateway's outbox is not watched: wait for its relay on
	// the stream itself. The setups' outboxes were drained already, and
	// with the jetstream backend a 2xx came only once the event was on
	// the stream: the check waits for nothing.
	wait := time.Duration(0)
	if len(t.gateways) == 0 {
		wait = 30 * time.Second
	}
	chk := checkStream(ctx, t.natsURL, t.cfg, started, t.provider.Name, p.runID, ans, wait)
	s.OnStream, s.Uncertain, s.Check = chk.onStream, chk.uncertain, chk.err
	return s, nil
}

// runPipeline measures the gateways of t with the plan: it sends it, waits
// until their outboxes are drained (the sqlite backend), and sets s's
// Result, Drain, NATS usage, Samples and MemLimit. It returns the event
// IDs by answer.
func runPipeline(ctx context.Context, o *Options, p plan, t *target, s *Setup) (answers, error) {
	progress := new(atomic.Int64)
	var smp *sampler // nil: no samples
	if len(t.gateways) > 0 && o.Samples > 0 {
		smp = startSampler(t, int64(len(p.sends)/o.Samples), progress)
	}
	before, nodesBefore := readUsage(t.children()), readUsage(t.nodes)
	urls := make([]string, len(t.bases))
	for i, b := range t.bases {
		urls[i] = b + t.provider.Path
	}
	res, ans := load(ctx, o, p, urls, t.provider, progress)
	res.Name = t.spec.name
	if t.spec.backend == config.BackendSQLite {
		end := time.Now()
		for _, g := range t.gateways {
			if err := waitDrained(ctx, g.adminURL); err != nil {
				smp.stop()
				return answers{}, err
			}
		}
		if len(t.gateways) > 0 {
			s.Drain = time.Since(end)
		}
	}
	if len(t.gateways) > 0 {
		after := readUsage(t.children())
		res.CPU, res.PeakRSS = after.cpu-before.cpu, after.peakRSS
	}
	if len(t.nodes) > 0 {
		after := readUsage(t.nodes)
		s.NATSCPU, s.NATSPeakRSS = after.cpu-nodesBefore.cpu, after.peakRSS
	}
	s.Samples = smp.stop()
	if smp != nil {
		last := sample(t.gateways)
		last.Done = len(p.sends)
		s.Samples = append(s.Samples, last)
	}
	if len(t.gateways) > 0 {
		if v, ok := readMetrics(t.gateways[0].adminURL)["go_gc_gomemlimit_bytes"]; ok {
			s.MemLimit = int64(min(v, math.MaxInt64))
		}
	}
	s.Result = res
	return ans, nil
}

// runBaseline measures the trivial handler with the same requests, signed
// as for pc.
func runBaseline(ctx context.Context, o *Options, p plan, pc *config.Provider) (*Result, error) {
	c, err := startChild(ctx, o, "", true, "bench-baseline", "-listen", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer c.stop()
	before := readUsage([]*child{c})
	res, _ := load(ctx, o, p, []string{"http://" + c.addrs["addr"] + pc.Path}, pc, nil)
	after := readUsage([]*child{c})
	res.Name, res.CPU, res.PeakRSS = "baseline", after.cpu-before.cpu, after.peakRSS
	return res, nil
}
