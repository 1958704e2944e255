package bench

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/config"
)

// TestLoadRoundRobin: with several URLs each send goes to the next one, and
// the answers sort the events: accepted from one server, and from the
// other, answering 503, uncertain (maybe on the stream, never twice); the
// 503s make the load one that measures nothing.
func TestLoadRoundRobin(t *testing.T) {
	var hits [2]atomic.Int64
	servers := make([]*httptest.Server, 2)
	for i := range servers {
		servers[i] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			if i == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte(`{"status":"accepted"}`))
		}))
		defer servers[i].Close()
	}
	o := Options{Events: 101, Concurrency: 4, OutOfOrder: 0.2}
	o.defaults()
	p := makePlan(&o, o.Events)
	pc := &config.Provider{Name: "bench", Type: "stripe", Path: "/webhooks/bench",
		Secrets: []config.Secret{{Value: "whsec_test"}}, Ordering: config.Ordering{Key: orderingKey, Version: orderingVersion}}
	res, ans := load(context.Background(), &o, p, []string{servers[0].URL + pc.Path, servers[1].URL + pc.Path}, pc, 0, nil)
	if res.ClientCPU <= 0 {
		t.Errorf("load generator CPU %v; want its own CPU time over the load", res.ClientCPU)
	}
	if a, b := hits[0].Load(), hits[1].Load(); a != 51 || b != 50 {
		t.Errorf("the servers got %d and %d requests; want 51 and 50", a, b)
	}
	if res.Requests != 101 || res.Outcomes["accepted"] != 51 || res.Outcomes["status 503"] != 50 {
		t.Errorf("%d requests, outcomes %v; want 101: 51 accepted, 50 answered 503", res.Requests, res.Outcomes)
	}
	// The 503s are requests, but the load is not one to measure: it has no
	// ratio, and the run fails.
	if n, which := notOK(res); n != 50 || which != "status 503: 50" {
		t.Errorf("not answered 2xx: %d (%s); want the 50 answered 503", n, which)
	}
	if len(ans) != 101 {
		t.Fatalf("answers to %d events; want the plan's 101", len(ans))
	}
	for i, s := range p.sends {
		want := tally{accepted: 1}
		if i%2 == 1 {
			want = tally{failed: 1}
		}
		if got := ans[s.event]; got != want {
			t.Errorf("send %d, event %d: answered %v; want %v", i, s.event, got, want)
		}
	}
}

// TestParseSetups: the setups a run takes, and those it refuses before
// starting anything.
func TestParseSetups(t *testing.T) {
	o := Options{}
	specs, err := o.parseSetups()
	if err != nil || len(specs) != 1 || specs[0] != (setupSpec{name: "sqlite", backend: "sqlite", gateways: 1}) {
		t.Errorf("default: %+v, %v; want sqlite alone", specs, err)
	}
	o = Options{Setups: []string{"sqlite", "jetstream", "cluster-1", "cluster-2"}}
	specs, err = o.parseSetups()
	want := []setupSpec{
		{name: "sqlite", backend: "sqlite", gateways: 1},
		{name: "jetstream", backend: "jetstream", gateways: 1},
		{name: "cluster-1", backend: "jetstream", cluster: true, gateways: 1},
		{name: "cluster-2", backend: "jetstream", cluster: true, gateways: 2},
	}
	if err != nil || len(specs) != len(want) {
		t.Fatalf("%+v, %v; want %+v", specs, err, want)
	}
	for i := range want {
		if specs[i] != want[i] {
			t.Errorf("setup %d: %+v; want %+v", i, specs[i], want[i])
		}
	}
	for _, bad := range []Options{
		{Setups: []string{"cluster-0"}},
		{Setups: []string{"cluster-9"}},
		{Setups: []string{"cluster"}},
		{Setups: []string{"postgres"}},
		{Setups: []string{""}},
		{Setups: []string{"sqlite", "sqlite"}},
		{Setups: []string{"sqlite"}, URL: "http://127.0.0.1:8080"},
		{Setups: []string{"cluster-2"}, CPUProfile: "cpu.prof"},
		{Setups: []string{"sqlite", "jetstream"}, MemProfile: "mem.prof"},
	} {
		if specs, err := bad.parseSetups(); err == nil {
			t.Errorf("%+v: %+v; want an error", bad, specs)
		}
	}
	if _, err := (&Options{Setups: []string{"cluster-1"}, CPUProfile: "cpu.prof"}).parseSetups(); err != nil {
		t.Errorf("one gateway on a cluster with -cpuprofile: %v; want it taken", err)
	}
}

// TestLoadPacedCountsFromSchedule: a paced load is open loop and counts a
// request's latency from its scheduled send time, so that a stall shows in
// every request it held back: here the server holds the first request
// 200ms, on one connection, while the next nine are due within 10ms. Each
// of them waits for it, so at least the median latency and the longest
// interval without an answer are the stall's (lower bounds: a slow machine
// only adds to them).
func TestLoadPacedCountsFromSchedule(t *testing.T) {
	const stall = 200 * time.Millisecond
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			time.Sleep(stall)
		}
	}))
	defer srv.Close()
	res, _, _ := loadOne(srv.URL, 10, 1, 1000)
	if res.Requests != 10 || res.Outcomes["ok"] != 10 || res.Rate != 1000 {
		t.Fatalf("%d requests, outcomes %v, rate %v; want 10 answered 200 at 1000/s asked", res.Requests, res.Outcomes, res.Rate)
	}
	if res.Latency[0] < stall-20*time.Millisecond || res.Stall < stall {
		t.Errorf("p50 %v, longest without an answer %v; want both about the %v stall: latency from the schedule", res.Latency[0], res.Stall, stall)
	}
	if !(res.Latency[0] <= res.Latency[1] && res.Latency[1] <= res.Latency[2] && res.Latency[2] <= res.Latency[3]) {
		t.Errorf("percentiles %v not in order", res.Latency)
	}
}

// TestSpreadAndMerge: the median lies between the minimum and the maximum
// (the mean of the middle two for an even count), and results together
// add up.
func TestSpreadAndMerge(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want Spread
	}{
		{nil, Spread{}},
		{[]float64{2}, Spread{2, 2, 2}},
		{[]float64{3, 1, 2}, Spread{2, 1, 3}},
		{[]float64{4, 1, 3, 2}, Spread{2.5, 1, 4}},
	} {
		if got := spreadOf(c.xs); got != c.want {
			t.Errorf("spreadOf(%v) = %+v; want %+v", c.xs, got, c.want)
		}
	}
	a := &Result{Requests: 2, Elapsed: time.Second, Outcomes: map[string]int{"accepted": 2}, CPU: time.Second, ClientCPU: time.Second, PeakRSS: 10,
		Stall: 3 * time.Millisecond, lat: []time.Duration{1, 4}}
	b := &Result{Requests: 3, Elapsed: time.Second, Outcomes: map[string]int{"accepted": 1, "duplicate": 2}, CPU: time.Second, ClientCPU: 2 * time.Second, PeakRSS: 20,
		Stall: time.Millisecond, lat: []time.Duration{2, 3, 5}}
	m := mergeResults("x", []*Result{a, b})
	if m.Name != "x" || m.Requests != 5 || m.Elapsed != 2*time.Second || m.Throughput != 2.5 || m.CPU != 2*time.Second || m.ClientCPU != 3*time.Second ||
		m.PeakRSS != 20 || m.Stall != 3*time.Millisecond || m.Outcomes["accepted"] != 3 || m.Outcomes["duplicate"] != 2 {
		t.Errorf("merged: %+v", m)
	}
	if m.Latency != [4]time.Duration{3, 5, 5, 5} {
		t.Errorf("merged percentiles %v; want p50 3, the rest 5 (over both results' requests)", m.Latency)
	}
}

// TestLongestGap: from the start to the first answer, or between two.
func TestLongestGap(t *testing.T) {
	if g := longestGap([]time.Duration{5, 30, 10, 12}); g != 18 {
		t.Errorf("longestGap = %v; want 18 (12 to 30)", g)
	}
	if g := longestGap([]time.Duration{9, 10}); g != 9 {
		t.Errorf("longestGap = %v; want 9 (the start to the first)", g)
	}
	if g := longestGap(nil); g != 0 {
		t.Errorf("longestGap(nil) = %v; want 0", g)
	}
}

// TestLoadReconnects: a server that closes the connection after every
// other answer, and streams some answers chunked, still gets every request
// once, over new connections, and each answer is read whole.
func TestLoadReconnects(t *testing.T) {
	var n, conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := n.Add(1)
		if k%2 == 0 {
			w.Header().Set("Connection", "close")
		}
		if k%3 == 0 {
			w.(http.Flusher).Flush() // no Content-Length: chunked
		}
		w.Write([]byte(`{"status":"accepted"}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	res, ans, p := loadOne(srv.URL, 40, 2, 0)
	if res.Requests != len(p.sends) || res.Outcomes["accepted"] != len(p.sends) || n.Load() != int64(len(p.sends)) {
		t.Fatalf("%d requests, outcomes %v, the server saw %d; want %d, all accepted", res.Requests, res.Outcomes, n.Load(), len(p.sends))
	}
	for i, got := range ans {
		if got != (tally{accepted: 1}) {
			t.Errorf("event %d answered %v; want accepted once", i, got)
		}
	}
	if c := conns.Load(); c < int64(len(p.sends))/2 {
		t.Errorf("%d connections for %d requests, every other one closed by the server; want at least %d", c, len(p.sends), len(p.sends)/2)
	}
}

// loadOne loads the server at url with a plan of events Stripe events over
// conc connections, at rate (0: saturated).
func loadOne(url string, events, conc int, rate float64) (*Result, answers, plan) {
	o := Options{Events: events, Concurrency: conc}
	o.defaults()
	p := makePlan(&o, o.Events)
	pc := &config.Provider{Name: "bench", Type: "stripe", Path: "/", Secrets: []config.Secret{{Value: "whsec_test"}}}
	res, ans := load(context.Background(), &o, p, []string{url}, pc, rate, nil)
	return res, ans, p
}

// TestLoadAnsweredCountsErrorsOnce: the requests a server answered are
// those it answered, whatever the status, and not those it closed the
// connection on (the count a setup waits for in its gateways' metrics; it
// once subtracted the failed ones twice).
func TestLoadAnsweredCountsErrorsOnce(t *testing.T) {
	var n, answers atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 3 {
		case 0: // no answer: the connection closed under the request
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close()
			}
			return
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		answers.Add(1)
	}))
	defer srv.Close()
	res, _, p := loadOne(srv.URL, 30, 2, 0)
	errs := res.Outcomes["error"]
	if errs == 0 || int64(errs)+answers.Load() != int64(len(p.sends)) {
		t.Fatalf("outcomes %v, %d answers; want some requests failed, the rest of the %d answered", res.Outcomes, answers.Load(), len(p.sends))
	}
	if got := answered(res); int64(got) != answers.Load() {
		t.Errorf("answered = %d; want the %d answers the server gave (outcomes %v)", got, answers.Load(), res.Outcomes)
	}
}

// TestLoadCountsFailedRequests: a request that gets no answer (here the
// server closes the connection under it) keeps its latency, from its due
// time to its failure, so that a server dropping the requests it stalls
// on does not look faster; the latency run prints how many got none.
func TestLoadCountsFailedRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
			c.Close()
		}
	}))
	defer srv.Close()
	tg, err := parseEndpoint(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	l := &loader{targets: []endpoint{tg}, start: time.Now()}
	defer l.closeAll()
	wk := &worker{outcomes: map[string]int{}, conns: make([]*clientConn, 1)}
	raw := []byte("POST / HTTP/1.1\r\nHost: " + tg.name + "\r\nContent-Length: 2\r\n\r\n{}")
	const late = time.Hour // due an hour ago: its latency is at least that
	l.post(wk, prepared{i: 0, event: 0, raw: raw}, time.Now().Add(-late))
	res, ans := summarize([]*worker{wk}, time.Second, 1)
	if res.Outcomes["error"] != 1 || ans[0] != (tally{failed: 1}) {
		t.Fatalf("outcomes %v, answers %v; want the request failed, its event uncertain", res.Outcomes, ans[0])
	}
	if res.Requests != 1 || res.Latency[3] < late {
		t.Errorf("%d requests, max latency %v; want the failed one counted, from its due time (%v ago)", res.Requests, res.Latency[3], late)
	}
	res.Name = "sqlite"
	rep := &Report{Setups: []*Setup{{Name: "sqlite", Latency: &LatencyRun{Rate: 10, Result: res}}}}
	var out strings.Builder
	rep.writeLatency(&out)
	var row []string
	for line := range strings.Lines(out.String()) {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "sqlite" {
			row = f
		}
	}
	// sqlite, requests, asked, answered req/s, p50, p99, max, no answer
	if len(row) < 8 || !strings.Contains(out.String(), " no answer ") || row[7] != "1" {
		t.Errorf("latency run table row %q; want 1 in its \"no answer\" column, after the percentiles:\n%s", row, out.String())
	}
}

// TestLoadPreparesSaturatedWhole: a saturated load's requests are all
// prepared before it starts (it once prepared 100,000 and built the rest
// during the load, on one goroutine: about 25,000 requests/s at most, on
// the cores the servers use), a paced load's a minute's worth; a round
// whose requests would take more than maxPreparedBytes is refused before
// anything starts.
func TestLoadPreparesSaturatedWhole(t *testing.T) {
	big := plan{sends: make([]send, 300_000)}
	if n := (&loader{p: big}).ahead(); n != len(big.sends) {
		t.Errorf("saturated: %d prepared before the start; want all %d", n, len(big.sends))
	}
	if n := (&loader{p: big, rate: 1000}).ahead(); n != 60_000 {
		t.Errorf("paced at 1000/s: %d prepared before the start; want a minute's worth, 60,000", n)
	}
	if n := (&loader{p: plan{sends: make([]send, 500)}, rate: 1000}).ahead(); n != 500 {
		t.Errorf("paced, 500 requests: %d prepared before the start; want all 500", n)
	}
	o := Options{Events: 1_000_000, Rounds: 1, Duplicates: 0.05, Binary: "/nonexistent"}
	if _, err := o.prepare(); err == nil || !strings.Contains(err.Error(), "rounds of 1050000 requests") || !strings.Contains(err.Error(), "use more -rounds") {
		t.Errorf("one round of a million events (1,050,000 requests, ~2.3 GB prepared): %v; want it refused", err)
	}
	o = Options{Events: 1_000_000, Rounds: 4, Duplicates: 0.05, Binary: "/nonexistent"}
	if _, err := o.prepare(); err != nil {
		t.Errorf("four rounds of a million events: %v; want them taken", err)
	}
}
