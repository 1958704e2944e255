package bench

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sync/atomic"
	"time"

	"hookgate/config"
)

// memLimitRE is the syntax of GOMEMLIMIT (runtime package documentation);
// the runtime refuses to start on anything else.
var memLimitRE = regexp.MustCompile(`^[0-9]+(B|KiB|MiB|GiB|TiB)?$`)

// Run performs the benchmark and writes its report to w.
func Run(ctx context.Context, o Options, w io.Writer) (*Report, error) {
	if err := o.prepare(); err != nil {
		return nil, err
	}
	rep := &Report{Options: o, GOMAXPROCS: o.GOMAXPROCS}
	p := makePlan(&o)
	fmt.Fprintf(w, "hookgate bench: %d requests (%d distinct %s events, %.0f%% duplicates, %.0f%% out of order), %d connections, ~%d-byte bodies\n",
		len(p.sends), o.Events, o.Type, o.Duplicates*100, o.OutOfOrder*100, o.Concurrency, o.BodySize)

	var secret string
	if o.URL == "" {
		secret = newSecret()
	}
	if o.Baseline {
		res, err := runBaseline(ctx, &o, p, secret)
		if err != nil {
			return nil, err
		}
		rep.Baseline = res
	}

	t, err := openTarget(ctx, &o, secret)
	if err != nil {
		return nil, err
	}
	defer t.close()
	rep.DataDir = t.dataDir
	started := time.Now()
	accepted, stale, err := runPipeline(ctx, &o, p, t, rep)
	if err != nil {
		return nil, err
	}
	rep.OnStream, rep.Check = checkStream(ctx, t.natsURL, t.cfg, started, t.provider.Name, p.runID, accepted, stale)
	if rep.Baseline != nil && rep.Baseline.Throughput > 0 {
		rep.Ratio = rep.Pipeline.Throughput / rep.Baseline.Throughput
	}
	rep.write(w)
	return rep, nil
}

// prepare sets o's defaults and checks it, so that a bad option is refused
// before anything starts.
func (o *Options) prepare() error {
	o.defaults()
	if o.Duplicates < 0 || o.Duplicates > 1 || o.OutOfOrder < 0 || o.OutOfOrder > 1 {
		return fmt.Errorf("bench: -duplicates %v and -out-of-order %v must be shares from 0 to 1", o.Duplicates, o.OutOfOrder)
	}
	if o.MemLimit != "" && !memLimitRE.MatchString(o.MemLimit) {
		return fmt.Errorf("bench: memory limit %q is not a GOMEMLIMIT value such as 192MiB or 1GiB", o.MemLimit)
	}
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		o.Binary = exe
	}
	return nil
}

// newSecret makes the provider secret of a self-contained run: whsec_ and
// base64 suit both the schemes that use a secret verbatim and those that
// decode it (Standard Webhooks).
func newSecret() string {
	var b [24]byte
	crand.Read(b[:])
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
}

// runPipeline measures the gateway t with the plan: it sends it, waits
// until the outbox is drained, and sets rep's Pipeline, Samples and
// MemLimit. It returns the event IDs answered accepted and stale.
func runPipeline(ctx context.Context, o *Options, p plan, t *target, rep *Report) (map[string]bool, map[string]bool, error) {
	progress := new(atomic.Int64)
	var smp *sampler // nil: no samples
	if t.child != nil && o.Samples > 0 {
		smp = startSampler(t, int64(len(p.sends)/o.Samples), progress)
	}
	var before procStat
	if t.child != nil {
		before, _ = readProc(t.child.cmd.Process.Pid)
	}
	res, accepted, stale := load(ctx, o, p, t.base+t.provider.Path, t.provider, progress)
	res.Name = "hookgate"
	if t.adminURL != "" {
		if err := waitDrained(ctx, t.adminURL); err != nil {
			smp.stop()
			return nil, nil, err
		}
	}
	if t.child != nil {
		after, _ := readProc(t.child.cmd.Process.Pid)
		res.CPU, res.PeakRSS = after.CPU-before.CPU, after.PeakRSS
	}
	samples := smp.stop()
	if smp != nil {
		s := sample(t.child, t.adminURL, t.dataDir)
		s.Done = len(p.sends)
		samples = append(samples, s)
	}
	if t.child != nil {
		if v, ok := readMetrics(t.adminURL)["go_gc_gomemlimit_bytes"]; ok {
			rep.MemLimit = int64(min(v, math.MaxInt64))
		}
	}
	rep.Pipeline, rep.Samples = res, samples
	return accepted, stale, nil
}

// runBaseline measures the trivial handler with the same requests.
func runBaseline(ctx context.Context, o *Options, p plan, secret string) (*Result, error) {
	c, err := startChild(ctx, o, true, "bench-baseline", "-listen", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer c.stop()
	pc := &config.Provider{Name: "bench", Type: o.Type, Path: "/webhooks/bench",
		Secrets: []config.Secret{{Value: secret}}, Ordering: config.Ordering{Key: orderingKey, Version: orderingVersion}}
	before, _ := readProc(c.cmd.Process.Pid)
	res, _, _ := load(ctx, o, p, "http://"+c.addrs["addr"]+pc.Path, pc, nil)
	after, _ := readProc(c.cmd.Process.Pid)
	res.Name, res.CPU, res.PeakRSS = "baseline", after.CPU-before.CPU, after.PeakRSS
	return res, nil
}
