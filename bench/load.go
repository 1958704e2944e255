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

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/sender"
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
func makePlan(o *Options, n int) plan {
	r := rand.New(rand.NewPCG(uint64(n), 42))
	// Each entity gets four versions, span sends apart: entities are taken
	// span (at most 1,000) at a time, and each group's versions are sent in
	// turn. A version sent late thus arrives span sends after the newer
	// one, as a provider's reordering would: well inside any TTL, however
	// long the run.
	const versions = 4
	span := min(1000, max(1, n/versions))
	sends := make([]send, n)
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
	repeats := make([]repeat, int(float64(n)*o.Duplicates))
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

// split cuts the plan into n consecutive parts of the same size (give or
// take one send), with the same run ID: the phases of a run send the
// parts in turn, so that an event is new to the gateway in the first part
// that has it. A repeat or a late version may fall in the part after its
// original: the gateways stay up across parts, so it still is one.
func (p plan) split(n int) []plan {
	parts := make([]plan, n)
	for k := range parts {
		parts[k] = plan{runID: p.runID, sends: p.sends[k*len(p.sends)/n : (k+1)*len(p.sends)/n]}
	}
	return parts
}

// load sends the plan from o.Concurrency connections and returns what it
// measured, and the event IDs by answer. Send i of the plan goes to
// urls[i%len(urls)]: with several gateways, each request to the next.
// rate 0 sends each request as soon as a connection is free (saturated,
// closed loop); a positive rate sends request i at start + i/rate (open
// loop, paced) and counts its latency from that scheduled time, so that a
// stall shows in the latency of every request it held back, not only in
// the one it answered late. progress, if not nil, counts the requests
// answered.
func load(ctx context.Context, o *Options, p plan, urls []string, pc *config.Provider, rate float64, progress *atomic.Int64) (*Result, answers) {
	l := &loader{o: o, p: p, urls: urls, pc: pc, rate: rate, progress: progress, pad: max(0, o.BodySize-160)}
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
	res, ans := summarize(workers, time.Since(l.start))
	res.Rate = rate
	return res, ans
}

// loader is one load's settings and its shared state: the next send to
// take, in turn, by its workers.
type loader struct {
	o        *Options
	p        plan
	urls     []string // the send of index i goes to urls[i%len(urls)]
	pc       *config.Provider
	rate     float64       // requests per second; 0: saturated
	progress *atomic.Int64 // nil: not counted
	client   *http.Client
	pad      int       // padding of each event, for the body size asked
	start    time.Time // of the load: the schedule of a paced load, and the answers' times
	next     atomic.Int64
}

// worker is what one connection of a load measured.
type worker struct {
	lat       []time.Duration
	answered  []time.Duration // when each answer came, since the load's start
	outcomes  map[string]int
	accepted  []string
	stale     []string
	uncertain []string // answered 5xx or not at all
}

// work sends the plan's next send, at its scheduled time in a paced load,
// until none is left or ctx ends.
func (l *loader) work(ctx context.Context, wk *worker) {
	for {
		i := int(l.next.Add(1)) - 1
		if i >= len(l.p.sends) || ctx.Err() != nil {
			return
		}
		var due time.Time // zero: now
		if l.rate > 0 {
			due = l.start.Add(time.Duration(float64(i) / l.rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
		}
		l.post(ctx, wk, l.urls[i%len(l.urls)], l.p.sends[i], due)
	}
}

// post signs and sends one event and records the answer in wk: its
// latency from due, or from when it is sent if due is zero.
func (l *loader) post(ctx context.Context, wk *worker, url string, s send, due time.Time) {
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
	t0 := due
	if t0.IsZero() {
		t0 = time.Now()
	}
	resp, err := l.client.Do(req)
	if err != nil {
		wk.outcomes["error"]++
		wk.uncertain = append(wk.uncertain, id)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	now := time.Now()
	wk.lat = append(wk.lat, now.Sub(t0))
	wk.answered = append(wk.answered, now.Sub(l.start))
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
	var lat, answered []time.Duration
	ans := newAnswers()
	for _, wk := range workers {
		lat = append(lat, wk.lat...)
		answered = append(answered, wk.answered...)
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
	res.lat = lat
	res.Latency = percentiles(lat)
	res.Stall = longestGap(answered)
	return res, ans
}

// percentiles are the p50, p90, p99 and max of the sorted lat.
func percentiles(lat []time.Duration) [4]time.Duration {
	var ps [4]time.Duration
	if len(lat) > 0 {
		for i, q := range []float64{0.50, 0.90, 0.99, 1} {
			ps[i] = lat[min(len(lat)-1, int(math.Ceil(q*float64(len(lat))))-1)]
		}
	}
	return ps
}

// longestGap is the longest interval without an answer: from the load's
// start to the first answer, or between two answers in a row. answered
// are the answers' times since the start, in any order; it sorts them.
func longestGap(answered []time.Duration) time.Duration {
	slices.Sort(answered)
	var gap, prev time.Duration
	for _, t := range answered {
		gap = max(gap, t-prev)
		prev = t
	}
	return gap
}
