package bench

import (
	"bufio"
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/internal/cputime"
	"github.com/hookgate/hookgate/sender"
)

// plan is the sequence of events a run sends.
type plan struct {
	runID  string
	events int // distinct events, numbered from 0, of the whole plan
	sends  []send
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
	return plan{runID: hex.EncodeToString(b[:]), events: n, sends: sends}
}

// split cuts the plan into n consecutive parts of the same size (give or
// take one send), with the same run ID: the phases of a run send the
// parts in turn, so that an event is new to the gateway in the first part
// that has it. A repeat or a late version may fall in the part after its
// original: the gateways stay up across parts, so it still is one.
func (p plan) split(n int) []plan {
	parts := make([]plan, n)
	for k := range parts {
		parts[k] = plan{runID: p.runID, events: p.events, sends: p.sends[k*len(p.sends)/n : (k+1)*len(p.sends)/n]}
	}
	return parts
}

// load sends the plan from o.Concurrency connections and returns what it
// measured, and the answers to each event. Send i of the plan goes to
// urls[i%len(urls)]: with several gateways, each request to the next.
// rate 0 sends each request as soon as a connection is free (saturated,
// closed loop); a positive rate sends request i at start + i/rate (open
// loop, paced) and counts its latency from that scheduled time, so that a
// stall shows in the latency of every request it held back, not only in
// the one it answered late. progress, if not nil, counts the requests
// answered.
//
// The load generator shares the machine with the servers it measures, so it
// does as little as it can while it measures: the requests are built,
// signed and written out as bytes before the load starts (all of a
// saturated load's; in a paced load no more than a minute's worth, so that
// no signature is older than that when it is sent, the rest on the way,
// ahead of the workers: see ahead), and each worker keeps one
// HTTP/1.1 connection per server that it writes them to and reads the
// answers from, without net/http's client and its goroutines per
// connection. A server that closes a connection (or fails it) gets a new
// one for the next request.
func load(ctx context.Context, o *Options, p plan, urls []string, pc *config.Provider, rate float64, progress *atomic.Int64) (*Result, answers) {
	l := &loader{p: p, pc: pc, rate: rate, progress: progress, pad: max(0, o.BodySize-160)}
	for _, u := range urls {
		t, err := parseEndpoint(u)
		if err != nil {
			res := &Result{Outcomes: map[string]int{"error: " + err.Error(): len(p.sends)}, Rate: rate}
			ans := newAnswers(p.events)
			for _, s := range p.sends {
				ans.record(s.event, refused)
			}
			return res, ans
		}
		l.targets = append(l.targets, t)
	}
	l.queue = make(chan prepared, max(1, l.ahead()))
	pctx, stopPreparing := context.WithCancel(ctx)
	defer stopPreparing()
	primed := make(chan struct{})
	go l.prepare(pctx, primed)
	select {
	case <-primed:
	case <-ctx.Done():
	}
	stop := context.AfterFunc(ctx, l.closeAll) // unblocks reads in flight
	defer stop()
	workers := make([]*worker, o.Concurrency)
	var wg sync.WaitGroup
	cpu := cputime.Self()
	l.start = time.Now()
	for wi := range workers {
		wk := &worker{outcomes: map[string]int{}, conns: make([]*clientConn, len(l.targets))}
		workers[wi] = wk
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer l.closeWorker(wk)
			l.work(ctx, wk)
		}()
	}
	wg.Wait()
	res, ans := summarize(workers, time.Since(l.start), p.events)
	res.Rate, res.ClientCPU = rate, cputime.Self()-cpu
	return res, ans
}

// ahead is how many of the load's requests are prepared before it starts.
// A saturated load's are all prepared: building and signing one takes
// about 0.04 ms of CPU, so one goroutine doing it during the load would cap
// the rate near 25,000 requests/s and take CPU from the servers while they
// are measured (about 2.2 KiB of memory a request with the default body;
// Options.prepare bounds a round). A paced load's are prepared up to a
// minute's worth: a signature is checked against the clock, and none is
// made more than a minute before it is due; the rest are prepared on the
// way, at the pace.
func (l *loader) ahead() int {
	n := len(l.p.sends)
	if l.rate > 0 {
		n = min(n, int(l.rate*60))
	}
	return n
}

// loader is one load's settings and its shared state: the requests
// prepared in plan order, taken in turn by its workers.
type loader struct {
	p        plan
	targets  []endpoint // the send of index i goes to targets[i%len(targets)]
	pc       *config.Provider
	rate     float64       // requests per second; 0: saturated
	progress *atomic.Int64 // nil: not counted
	pad      int           // padding of each event, for the body size asked
	queue    chan prepared // in plan order
	start    time.Time     // of the load: the schedule of a paced load, and the answers' times

	mu    sync.Mutex
	conns map[net.Conn]bool // the connections open, for closeAll
}

// endpoint is where one URL's requests go.
type endpoint struct {
	tls  bool
	host string // host:port to dial
	name string // the Host header (and the TLS server name)
	path string // the request URI
}

func parseEndpoint(raw string) (endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("bench: target %q: %w", raw, err)
	}
	t := endpoint{tls: u.Scheme == "https", host: u.Host, name: u.Host, path: u.RequestURI()}
	if u.Scheme != "http" && u.Scheme != "https" {
		return endpoint{}, fmt.Errorf("bench: target %q: the scheme must be http or https", raw)
	}
	if u.Port() == "" {
		t.host = net.JoinHostPort(u.Hostname(), map[bool]string{false: "80", true: "443"}[t.tls])
	}
	return t, nil
}

// prepared is one send of the plan, ready to be written.
type prepared struct {
	i     int    // its index in the plan
	event int    // its event's index
	raw   []byte // the whole HTTP request
	err   error  // why it could not be built
}

// prepare builds the plan's requests in order into l.queue, and closes
// primed once the queue is full or every request is in it.
func (l *loader) prepare(ctx context.Context, primed chan struct{}) {
	defer close(l.queue)
	once := sync.OnceFunc(func() { close(primed) })
	defer once()
	for i, s := range l.p.sends {
		r := l.build(i, s)
		select {
		case l.queue <- r:
		case <-ctx.Done():
			return
		}
		if len(l.queue) == cap(l.queue) {
			once()
		}
	}
}

// build signs send i and writes it out as an HTTP/1.1 request to its
// target.
func (l *loader) build(i int, s send) prepared {
	id := fmt.Sprintf("evt_%s_%d", l.p.runID, s.event)
	vr, err := sender.Request(l.pc, "", sender.Event{
		ID: id, Type: "bench.event", Pad: l.pad,
		Entity: fmt.Sprintf("ent_%s_%d", l.p.runID, s.entity), Version: strconv.Itoa(s.version),
	}, time.Now())
	if err != nil {
		return prepared{i: i, event: s.event, err: err}
	}
	t := l.targets[i%len(l.targets)]
	var b bytes.Buffer
	b.Grow(len(vr.Body) + 512)
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", t.path, t.name, len(vr.Body))
	vr.Header.Write(&b)
	b.WriteString("\r\n")
	b.Write(vr.Body)
	return prepared{i: i, event: s.event, raw: b.Bytes()}
}

// closeAll closes every connection the load dialed.
func (l *loader) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.Close()
	}
}

// worker is one client of a load and what it measured.
type worker struct {
	conns    []*clientConn // by target; nil: none open
	lat      []time.Duration
	answered []time.Duration // when each answer came, since the load's start
	outcomes map[string]int
	got      []answer // the answer to each send, by event
}

// answer is what one send of an event got.
type answer struct {
	event int
	kind  answerKind
}

// clientConn is a keep-alive connection to one server.
type clientConn struct {
	c  net.Conn
	br *bufio.Reader
}

// conn returns the worker's connection to target t, dialing one if it has
// none.
func (l *loader) conn(wk *worker, t int) (*clientConn, error) {
	if cc := wk.conns[t]; cc != nil {
		return cc, nil
	}
	tg := l.targets[t]
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", tg.host)
	if err != nil {
		return nil, err
	}
	if tg.tls {
		host, _, _ := net.SplitHostPort(tg.name)
		if host == "" {
			host = tg.name
		}
		c = tls.Client(c, &tls.Config{ServerName: host})
	}
	l.mu.Lock()
	if l.conns == nil {
		l.conns = map[net.Conn]bool{}
	}
	l.conns[c] = true
	l.mu.Unlock()
	cc := &clientConn{c: c, br: bufio.NewReader(c)}
	wk.conns[t] = cc
	return cc, nil
}

// drop closes the worker's connection to target t.
func (l *loader) drop(wk *worker, t int) {
	if cc := wk.conns[t]; cc != nil {
		cc.c.Close()
		wk.conns[t] = nil
		l.mu.Lock()
		delete(l.conns, cc.c)
		l.mu.Unlock()
	}
}

// closeWorker closes the worker's connections.
func (l *loader) closeWorker(wk *worker) {
	for t := range wk.conns {
		l.drop(wk, t)
	}
}

// work sends the plan's next send, at its scheduled time in a paced load,
// until none is left or ctx ends.
func (l *loader) work(ctx context.Context, wk *worker) {
	for r := range l.queue {
		if ctx.Err() != nil {
			return
		}
		var due time.Time // zero: now
		if l.rate > 0 {
			due = l.start.Add(time.Duration(float64(r.i) / l.rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
		}
		l.post(wk, r, due)
	}
}

// post sends one prepared request and records the answer in wk: its
// latency from due, or from when it is sent if due is zero, to its answer
// or its failure.
func (l *loader) post(wk *worker, r prepared, due time.Time) {
	if r.err != nil {
		wk.outcomes["error: "+r.err.Error()]++
		wk.got = append(wk.got, answer{r.event, refused}) // not sent
		return
	}
	t0 := due
	if t0.IsZero() {
		t0 = time.Now()
	}
	t := r.i % len(l.targets)
	status, body, err := l.roundTrip(wk, t, r.raw)
	now := time.Now()
	// A request that failed (a timeout, a reset) has its latency too, up to
	// its failure: a server that stalls and drops requests must not look
	// faster for the requests it dropped.
	wk.lat = append(wk.lat, now.Sub(t0))
	if err != nil {
		l.drop(wk, t)
		wk.outcomes["error"]++
		wk.got = append(wk.got, answer{r.event, failed})
		return
	}
	wk.answered = append(wk.answered, now.Sub(l.start))
	if l.progress != nil {
		l.progress.Add(1)
	}
	if status >= 300 {
		wk.outcomes["status "+strconv.Itoa(status)]++
		kind := refused
		if status >= 500 {
			kind = failed
		}
		wk.got = append(wk.got, answer{r.event, kind})
		return
	}
	var out struct{ Status string }
	if json.Unmarshal(body, &out) != nil || out.Status == "" {
		out.Status = "ok"
	}
	wk.outcomes[out.Status]++
	kind := other
	switch out.Status {
	case "accepted":
		kind = accepted
	case "duplicate":
		kind = duplicate
	case "stale":
		kind = stale
	}
	wk.got = append(wk.got, answer{r.event, kind})
}

// roundTrip writes raw on the worker's connection to target t and reads
// the answer: its status and body. A connection the server closes after
// the answer is dropped.
func (l *loader) roundTrip(wk *worker, t int, raw []byte) (int, []byte, error) {
	cc, err := l.conn(wk, t)
	if err != nil {
		return 0, nil, err
	}
	cc.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := cc.c.Write(raw); err != nil {
		return 0, nil, err
	}
	resp, err := http.ReadResponse(cc.br, nil)
	if err != nil {
		return 0, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, nil, err
	}
	if resp.Close {
		l.drop(wk, t)
	}
	return resp.StatusCode, body, nil
}

// summarize adds up what the workers measured over elapsed: the result,
// and the answers to each of the plan's events events.
func summarize(workers []*worker, elapsed time.Duration, events int) (*Result, answers) {
	res := &Result{Elapsed: elapsed, Outcomes: map[string]int{}}
	var lat, answered []time.Duration
	ans := newAnswers(events)
	for _, wk := range workers {
		lat = append(lat, wk.lat...)
		answered = append(answered, wk.answered...)
		for k, v := range wk.outcomes {
			res.Outcomes[k] += v
		}
		for _, a := range wk.got {
			ans.record(a.event, a.kind)
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
