package bench

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"hookgate/config"
	"hookgate/sender"
)

// Result is what one side of a run measured.
type Result struct {
	Name       string
	Requests   int
	Elapsed    time.Duration
	Outcomes   map[string]int // by answer: accepted, duplicate, stale, or "status NNN", "error"
	Latency    [4]time.Duration
	CPU        time.Duration // the server process's, over the run (and the drain)
	PeakRSS    int64
	Throughput float64 // requests per second
}

// Report is a whole run.
type Report struct {
	Options  Options
	Baseline *Result
	Pipeline *Result
	// Ratio is the pipeline's throughput over the baseline's.
	Ratio float64
	// Check says whether every accepted event is on the stream exactly
	// once; a run that fails it reports no figure.
	Check      error
	OnStream   int
	Samples    []Sample
	DataDir    string
	GOMAXPROCS int
	// MemLimit is the soft memory limit the gateway ran with, as its
	// metrics report it (math.MaxInt64: none); 0 when not known.
	MemLimit int64
}

// Sample is a resource reading during the gateway run.
type Sample struct {
	Done     int   // requests finished
	RSS      int64 // gateway resident memory
	HeapLive int64 // Go heap reachable at the last collection, from the gateway's metrics
	DBBytes  int64 // size of the data directory's files (SQLite file and WAL)
}

// plan is the sequence of events a run sends.
type plan struct {
	runID string
	sends []send
}

type send struct {
	event   int // index of the distinct event
	entity  int
	version int
}

// makePlan lays out n distinct events over n/4 entities with increasing
// versions, swaps a share of consecutive versions (so the older one comes
// second and is stale), and repeats a share of events (duplicates).
func makePlan(o *Options) plan {
	r := rand.New(rand.NewPCG(uint64(o.Events), 42))
	// Each entity gets four versions, span sends apart: entities are taken
	// span (at most 1,000) at a time, and each group's versions are sent in
	// turn. A version sent late thus arrives span sends after the newer
	// one, as a provider's reordering would: well inside any TTL, however
	// long the run.
	const versions = 4
	span := min(1000, max(1, o.Events/versions))
	sends := make([]send, o.Events)
	for i := range sends {
		group, k := i/(span*versions), i%(span*versions)
		sends[i] = send{event: i, entity: group*span + k%span, version: k/span + 1}
	}
	for i := 0; i+span < len(sends); i++ {
		if sends[i].entity == sends[i+span].entity && r.Float64() < o.OutOfOrder {
			sends[i], sends[i+span] = sends[i+span], sends[i]
		}
	}
	// A repeat follows its original within two thousand sends, as a
	// provider's retry would: well inside any dedupe TTL. Positions are
	// drawn first and merged in one pass (inserting one at a time is
	// quadratic in a million-event plan).
	type repeat struct{ after, of int }
	repeats := make([]repeat, int(float64(o.Events)*o.Duplicates))
	for k := range repeats {
		i := r.IntN(len(sends))
		repeats[k] = repeat{after: i + r.IntN(min(len(sends)-i, 2000)), of: i}
	}
	slices.SortStableFunc(repeats, func(a, b repeat) int { return a.after - b.after })
	merged := make([]send, 0, len(sends)+len(repeats))
	for i, s := range sends {
		merged = append(merged, s)
		for len(repeats) > 0 && repeats[0].after == i {
			merged = append(merged, sends[repeats[0].of])
			repeats = repeats[1:]
		}
	}
	sends = merged
	var b [4]byte
	crand.Read(b[:])
	return plan{runID: hex.EncodeToString(b[:]), sends: sends}
}

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

// load sends the plan from o.Concurrency connections and returns what it
// measured, and the event IDs answered accepted and stale.
func load(ctx context.Context, o *Options, p plan, url string, pc *config.Provider, progress *atomic.Int64) (*Result, map[string]bool, map[string]bool) {
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: o.Concurrency,
			MaxConnsPerHost:     o.Concurrency,
			DisableCompression:  true,
		},
	}
	defer client.CloseIdleConnections()
	type worker struct {
		lat      []time.Duration
		outcomes map[string]int
		accepted []string
		stale    []string
	}
	workers := make([]*worker, o.Concurrency)
	var next atomic.Int64
	var wg sync.WaitGroup
	pad := max(0, o.BodySize-160)
	start := time.Now()
	for wi := range workers {
		wk := &worker{outcomes: map[string]int{}}
		workers[wi] = wk
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(p.sends) || ctx.Err() != nil {
					return
				}
				if o.Rate > 0 {
					if d := time.Until(start.Add(time.Duration(float64(i) / o.Rate * float64(time.Second)))); d > 0 {
						time.Sleep(d)
					}
				}
				s := p.sends[i]
				id := fmt.Sprintf("evt_%s_%d", p.runID, s.event)
				vr, err := sender.Request(pc, "", sender.Event{
					ID: id, Type: "bench.event", Pad: pad,
					Entity: fmt.Sprintf("ent_%s_%d", p.runID, s.entity), Version: strconv.Itoa(s.version),
				}, time.Now())
				if err != nil {
					wk.outcomes["error: "+err.Error()]++
					continue
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(vr.Body))
				req.Header = vr.Header
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					wk.outcomes["error"]++
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				wk.lat = append(wk.lat, time.Since(t0))
				if progress != nil {
					progress.Add(1)
				}
				if resp.StatusCode >= 300 {
					wk.outcomes["status "+strconv.Itoa(resp.StatusCode)]++
					continue
				}
				var out struct{ Status string }
				if json.Unmarshal(body, &out) != nil || out.Status == "" {
					out.Status = "ok"
				}
				wk.outcomes[out.Status]++
				switch out.Status {
				case "accepted":
					wk.accepted = append(wk.accepted, id)
				case "stale":
					wk.stale = append(wk.stale, id)
				}
			}
		}()
	}
	wg.Wait()
	res := &Result{Elapsed: time.Since(start), Outcomes: map[string]int{}}
	var lat []time.Duration
	accepted, stale := map[string]bool{}, map[string]bool{}
	for _, wk := range workers {
		lat = append(lat, wk.lat...)
		for k, v := range wk.outcomes {
			res.Outcomes[k] += v
		}
		for _, id := range wk.accepted {
			accepted[id] = true
		}
		for _, id := range wk.stale {
			stale[id] = true
		}
	}
	res.Requests = len(lat)
	res.Throughput = float64(len(lat)) / res.Elapsed.Seconds()
	slices.Sort(lat)
	if len(lat) > 0 {
		for i, q := range []float64{0.50, 0.90, 0.99, 1} {
			res.Latency[i] = lat[min(len(lat)-1, int(math.Ceil(q*float64(len(lat))))-1)]
		}
	}
	return res, accepted, stale
}

// waitDrained polls the gateway's /metrics until its outbox is empty.
func waitDrained(ctx context.Context, adminURL string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		if v, ok := readMetrics(adminURL)["hookgate_outbox_rows"]; ok && v == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return errors.New("bench: the outbox did not drain within 5 minutes")
}

// readMetrics returns the gateway's unlabelled metrics by name; an
// unreachable admin listener gives an empty map.
func readMetrics(adminURL string) map[string]float64 {
	m := make(map[string]float64)
	resp, err := http.Get(adminURL + "/metrics")
	if err != nil {
		return m
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok || strings.ContainsAny(name, "#{") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			m[name] = v
		}
	}
	return m
}

// sample reads the gateway child's resources now.
func sample(gw *child, adminURL, dataDir string) Sample {
	ps, _ := readProc(gw.cmd.Process.Pid)
	m := readMetrics(adminURL)
	return Sample{RSS: ps.RSS, HeapLive: int64(m["go_gc_heap_live_bytes"]), DBBytes: dirSize(dataDir)}
}

// errNotExactlyOnce describes a failed check.
var errNotExactlyOnce = errors.New("not every accepted event is on the stream exactly once")

// checkStream reads the messages stored since the run started from the
// gateway's stream (its name and credentials from its config: those of
// `hookgate tail`) and checks
// this run's against what was accepted.
func checkStream(ctx context.Context, natsURL string, cfg *config.Config, started time.Time, provider, runID string, accepted, stale map[string]bool) (int, error) {
	auth, err := cfg.ClientAuth("", "")
	if err != nil {
		return 0, fmt.Errorf("bench: check: %w", err)
	}
	opts, err := auth.Options()
	if err != nil {
		return 0, fmt.Errorf("bench: check: %w", err)
	}
	nc, err := nats.Connect(natsURL, opts...)
	if err != nil {
		return 0, fmt.Errorf("bench: check: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	since := started.Add(-time.Second) // the servers' clocks are this machine's
	cons, err := js.OrderedConsumer(ctx, cfg.NATS.Stream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &since})
	if err != nil {
		return 0, fmt.Errorf("bench: check: %w", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, err
	}
	pending := int(info.NumPending)
	seen := map[string]int{}
	prefix := provider + ":evt_" + runID + "_"
	read := 0
	for read < pending {
		batch, err := cons.Fetch(min(1000, pending-read), jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			return 0, err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			if id, ok := strings.CutPrefix(m.Headers().Get("Nats-Msg-Id"), prefix); ok {
				seen["evt_"+runID+"_"+id]++
			}
		}
		if err := batch.Error(); err != nil {
			return 0, err
		}
		if n == 0 {
			break
		}
		read += n
	}
	var problems []string
	for id := range accepted {
		if seen[id] != 1 {
			problems = append(problems, fmt.Sprintf("%s accepted, %d times on the stream", id, seen[id]))
		}
	}
	onStream := 0
	for id, n := range seen {
		onStream += n
		if !accepted[id] {
			problems = append(problems, fmt.Sprintf("%s on the stream %d times but not accepted (stale: %v)", id, n, stale[id]))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return onStream, fmt.Errorf("%w: %d problems, first: %s", errNotExactlyOnce, len(problems), problems[0])
	}
	return onStream, nil
}

func (r *Report) write(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	cols := []*Result{r.Baseline, r.Pipeline}
	row := func(name string, f func(*Result) string) {
		fmt.Fprintf(tw, "%s\t", name)
		for _, c := range cols {
			if c != nil {
				fmt.Fprintf(tw, "%s\t", f(c))
			}
		}
		fmt.Fprintln(tw)
	}
	row("", func(c *Result) string { return c.Name })
	row("requests", func(c *Result) string { return strconv.Itoa(c.Requests) })
	row("requests/s", func(c *Result) string { return fmt.Sprintf("%.0f", c.Throughput) })
	row("accepted", func(c *Result) string { return strconv.Itoa(c.Outcomes["accepted"]) })
	row("duplicate", func(c *Result) string { return strconv.Itoa(c.Outcomes["duplicate"]) })
	row("stale", func(c *Result) string { return strconv.Itoa(c.Outcomes["stale"]) })
	row("accepted/s", func(c *Result) string {
		return fmt.Sprintf("%.0f", float64(c.Outcomes["accepted"])/c.Elapsed.Seconds())
	})
	for i, q := range []string{"p50", "p90", "p99", "max"} {
		row("latency "+q, func(c *Result) string { return c.Latency[i].Round(10 * time.Microsecond).String() })
	}
	row("CPU s / 1000 req", func(c *Result) string {
		return fmt.Sprintf("%.3f", c.CPU.Seconds()/float64(max(1, c.Requests))*1000)
	})
	row("peak RSS", func(c *Result) string {
		if c.PeakRSS == 0 {
			return "-"
		}
		return mib(c.PeakRSS)
	})
	tw.Flush()
	var other []string
	for _, c := range cols {
		if c == nil {
			continue
		}
		for k, v := range c.Outcomes {
			switch k {
			case "accepted", "duplicate", "stale", "ok":
			default:
				other = append(other, fmt.Sprintf("%s %s: %d", c.Name, k, v))
			}
		}
	}
	slices.Sort(other)
	for _, s := range other {
		fmt.Fprintln(w, "other answers:", s)
	}
	if r.MemLimit > 0 && r.MemLimit < math.MaxInt64 {
		fmt.Fprintf(w, "gateway memory limit (GOMEMLIMIT): %s\n", mib(r.MemLimit))
	}
	if len(r.Samples) > 0 {
		fmt.Fprintln(w, "gateway resources during the run:")
		for _, s := range r.Samples {
			fmt.Fprintf(w, "  after %8d requests: RSS %s, live Go heap %s, data directory %s\n",
				s.Done, mib(s.RSS), mib(s.HeapLive), mib(s.DBBytes))
		}
	}
	if r.Check != nil {
		fmt.Fprintf(w, "exactly-once check FAILED: %v\nno figure: a run that loses or repeats events measures nothing\n", r.Check)
		return
	}
	fmt.Fprintf(w, "exactly-once check: ok (%d accepted events, each once on the stream)\n", r.Pipeline.Outcomes["accepted"])
	if r.Baseline != nil {
		fmt.Fprintf(w, "ratio hookgate/baseline (requests/s): %.2f\n", r.Ratio)
	}
}
