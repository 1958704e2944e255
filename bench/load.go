package bench

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"hookgate/config"
	"hookgate/sender"
)

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

// load sends the plan from o.Concurrency connections and returns what it
// measured, and the event IDs by answer. Send i of the plan goes to
// urls[i%len(urls)]: with several gateways, each request to the next.
// progress, if not nil, counts the requests answered.
func load(ctx context.Context, o *Options, p plan, urls []string, pc *config.Provider, progress *atomic.Int64) (*Result, answers) {
	l := &loader{o: o, p: p, urls: urls, pc: pc, progress: progress, pad: max(0, o.BodySize-160)}
	l.client = &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: o.Concurrency,
			MaxConnsPerHost:     o.Concurrency,
			DisableCompression:  true,
		},
	}
	defer l.client.CloseIdleConnections()
	workers := make([]*worker, o.Concurrency)
	var wg sync.WaitGroup
	l.start = time.Now()
	for wi := range workers {
		wk := &worker{outcomes: map[string]int{}}
		workers[wi] = wk
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.work(ctx, wk)
		}()
	}
	wg.Wait()
	return summarize(workers, time.Since(l.start))
}

// loader is one load's settings and its shared state: the next send to
// take, in turn, by its workers.
type loader struct {
	o        *Options
	p        plan
	urls     []string // the send of index i goes to urls[i%len(urls)]
	pc       *config.Provider
	progress *atomic.Int64 // nil: not counted
	client   *http.Client
	pad      int       // padding of each event, for the body size asked
	start    time.Time // of the load, for -rate
	next     atomic.Int64
}

// worker is what one connection of a load measured.
type worker struct {
	lat       []time.Duration
	outcomes  map[string]int
	accepted  []string
	stale     []string
	uncertain []string // answered 5xx or not at all
}

// work sends the plan's next send, at the pace of -rate if set, until
// none is left or ctx ends.
func (l *loader) work(ctx context.Context, wk *worker) {
	for {
		i := int(l.next.Add(1)) - 1
		if i >= len(l.p.sends) || ctx.Err() != nil {
			return
		}
		if l.o.Rate > 0 {
			if d := time.Until(l.start.Add(time.Duration(float64(i) / l.o.Rate * float64(time.Second)))); d > 0 {
				time.Sleep(d)
			}
		}
		l.post(ctx, wk, l.urls[i%len(l.urls)], l.p.sends[i])
	}
}

// post signs and sends one event and records the answer in wk.
func (l *loader) post(ctx context.Context, wk *worker, url string, s send) {
	id := fmt.Sprintf("evt_%s_%d", l.p.runID, s.event)
	vr, err := sender.Request(l.pc, "", sender.Event{
		ID: id, Type: "bench.event", Pad: l.pad,
		Entity: fmt.Sprintf("ent_%s_%d", l.p.runID, s.entity), Version: strconv.Itoa(s.version),
	}, time.Now())
	if err != nil {
		wk.outcomes["error: "+err.Error()]++
		return
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(vr.Body))
	req.Header = vr.Header
	t0 := time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		wk.outcomes["error"]++
		wk.uncertain = append(wk.uncertain, id)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wk.lat = append(wk.lat, time.Since(t0))
	if l.progress != nil {
		l.progress.Add(1)
	}
	if resp.StatusCode >= 300 {
		wk.outcomes["status "+strconv.Itoa(resp.StatusCode)]++
		if resp.StatusCode >= 500 {
			wk.uncertain = append(wk.uncertain, id)
		}
		return
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

// summarize adds up what the workers measured over elapsed: the result,
// and the event IDs by answer.
func summarize(workers []*worker, elapsed time.Duration) (*Result, answers) {
	res := &Result{Elapsed: elapsed, Outcomes: map[string]int{}}
	var lat []time.Duration
	ans := answers{accepted: map[string]bool{}, stale: map[string]bool{}, uncertain: map[string]bool{}}
	for _, wk := range workers {
		lat = append(lat, wk.lat...)
		for k, v := range wk.outcomes {
			res.Outcomes[k] += v
		}
		for _, id := range wk.accepted {
			ans.accepted[id] = true
		}
		for _, id := range wk.stale {
			ans.stale[id] = true
		}
		for _, id := range wk.uncertain {
			ans.uncertain[id] = true
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
	return res, ans
}
