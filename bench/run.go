package bench

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hookgate/config"
)

// memLimitRE is the syntax of GOMEMLIMIT (runtime package documentation);
// the runtime refuses to start on anything else.
var memLimitRE = regexp.MustCompile(`^[0-9]+(B|KiB|MiB|GiB|TiB)?$`)

// Run performs the benchmark and writes its report to w.
func Run(ctx context.Context, o Options, w io.Writer) (*Report, error) {
	o.defaults()
	if o.Duplicates < 0 || o.Duplicates > 1 || o.OutOfOrder < 0 || o.OutOfOrder > 1 {
		return nil, fmt.Errorf("bench: -duplicates %v and -out-of-order %v must be shares from 0 to 1", o.Duplicates, o.OutOfOrder)
	}
	if o.MemLimit != "" && !memLimitRE.MatchString(o.MemLimit) {
		return nil, fmt.Errorf("bench: memory limit %q is not a GOMEMLIMIT value such as 192MiB or 1GiB", o.MemLimit)
	}
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		o.Binary = exe
	}
	rep := &Report{Options: o, GOMAXPROCS: o.GOMAXPROCS}
	p := makePlan(&o)
	fmt.Fprintf(w, "hookgate bench: %d requests (%d distinct %s events, %.0f%% duplicates, %.0f%% out of order), %d connections, ~%d-byte bodies\n",
		len(p.sends), o.Events, o.Type, o.Duplicates*100, o.OutOfOrder*100, o.Concurrency, o.BodySize)

	var secret string
	var pc *config.Provider
	if o.URL == "" {
		var b [24]byte
		crand.Read(b[:])
		// whsec_ and base64 suit both the schemes that use a secret
		// verbatim and those that decode it (Standard Webhooks).
		secret = "whsec_" + base64.StdEncoding.EncodeToString(b[:])
	}

	if o.Baseline {
		res, err := runBaseline(ctx, &o, p, secret)
		if err != nil {
			return nil, err
		}
		rep.Baseline = res
	}

	var (
		base, natsURL, adminURL string
		gw                      *child
		gwCfg                   *config.Config // where the check reads, and as whom
	)
	if o.URL == "" {
		dir, err := os.MkdirTemp("", "hookgate-bench-")
		if err != nil {
			return nil, err
		}
		rep.DataDir = filepath.Join(dir, "data")
		if !o.KeepDir {
			defer os.RemoveAll(dir)
		}
		ports, err := freePorts(3)
		if err != nil {
			return nil, err
		}
		cfgPath, err := writeConfig(dir, &o, secret, [3]int(ports))
		if err != nil {
			return nil, err
		}
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return nil, err
		}
		pc, _ = cfg.Provider("bench")
		gwCfg = cfg
		args := []string{"serve", "-config", cfgPath, "-log-level", o.LogLevel}
		if o.CPUProfile != "" {
			args = append(args, "-cpuprofile", o.CPUProfile)
		}
		if o.MemProfile != "" {
			args = append(args, "-memprofile", o.MemProfile)
		}
		if gw, err = startChild(ctx, &o, false, args...); err != nil {
			return nil, err
		}
		defer gw.stop()
		base, natsURL, adminURL = fmt.Sprintf("http://127.0.0.1:%d", ports[0]), fmt.Sprintf("nats://127.0.0.1:%d", ports[2]), fmt.Sprintf("http://127.0.0.1:%d", ports[1])
		if err := waitReady(ctx, adminURL+"/readyz", gw); err != nil {
			return nil, err
		}
	} else {
		cfg, err := config.Load(o.Config)
		if err != nil {
			return nil, err
		}
		if pc, err = cfg.Provider(o.Provider); err != nil {
			return nil, err
		}
		base, natsURL, gwCfg = strings.TrimSuffix(o.URL, "/"), cfg.NATSClientURL(), cfg
	}
	started := time.Now()

	var samples []Sample
	var sampleMu sync.Mutex
	progress := new(atomic.Int64)
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	if gw != nil && o.Samples > 0 {
		every := int64(len(p.sends) / o.Samples)
		sampling.Add(1)
		go func() {
			defer sampling.Done()
			next := int64(0)
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stopSampling:
					return
				case <-t.C:
				}
				if done := progress.Load(); done >= next {
					s := sample(gw, adminURL, rep.DataDir)
					s.Done = int(done)
					sampleMu.Lock()
					samples = append(samples, s)
					sampleMu.Unlock()
					next = done + every
				}
			}
		}()
	}

	var before procStat
	if gw != nil {
		before, _ = readProc(gw.cmd.Process.Pid)
	}
	res, accepted, stale := load(ctx, &o, p, base+pc.Path, pc, progress)
	res.Name = "hookgate"
	if adminURL != "" {
		if err := waitDrained(ctx, adminURL); err != nil {
			return nil, err
		}
	}
	if gw != nil {
		after, _ := readProc(gw.cmd.Process.Pid)
		res.CPU, res.PeakRSS = after.CPU-before.CPU, after.PeakRSS
	}
	close(stopSampling)
	sampling.Wait()
	if gw != nil && o.Samples > 0 {
		s := sample(gw, adminURL, rep.DataDir)
		s.Done = len(p.sends)
		samples = append(samples, s)
	}
	if gw != nil {
		if v, ok := readMetrics(adminURL)["go_gc_gomemlimit_bytes"]; ok {
			rep.MemLimit = int64(min(v, math.MaxInt64))
		}
	}
	rep.Pipeline, rep.Samples = res, samples
	rep.OnStream, rep.Check = checkStream(ctx, natsURL, gwCfg, started, pc.Name, p.runID, accepted, stale)
	if rep.Baseline != nil && rep.Baseline.Throughput > 0 {
		rep.Ratio = res.Throughput / rep.Baseline.Throughput
	}
	rep.write(w)
	return rep, nil
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
