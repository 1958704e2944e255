package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"hookgate/config"
)

// TestLoadRoundRobin: with several URLs each send goes to the next one, and
// the answers sort the events: accepted from one server, and from the
// other, answering 503, uncertain (maybe on the stream, never twice).
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
	p := makePlan(&o)
	pc := &config.Provider{Name: "bench", Type: "stripe", Path: "/webhooks/bench",
		Secrets: []config.Secret{{Value: "whsec_test"}}, Ordering: config.Ordering{Key: orderingKey, Version: orderingVersion}}
	res, ans := load(context.Background(), &o, p, []string{servers[0].URL + pc.Path, servers[1].URL + pc.Path}, pc, nil)
	if a, b := hits[0].Load(), hits[1].Load(); a != 51 || b != 50 {
		t.Errorf("the servers got %d and %d requests; want 51 and 50", a, b)
	}
	if res.Requests != 101 || res.Outcomes["accepted"] != 51 || res.Outcomes["status 503"] != 50 {
		t.Errorf("%d requests, outcomes %v; want 101: 51 accepted, 50 answered 503", res.Requests, res.Outcomes)
	}
	if len(ans.accepted) != 51 || len(ans.uncertain) != 50 || len(ans.stale) != 0 {
		t.Errorf("%d accepted, %d uncertain, %d stale events; want 51, 50, 0", len(ans.accepted), len(ans.uncertain), len(ans.stale))
	}
	for id := range ans.accepted {
		if ans.uncertain[id] {
			t.Errorf("%s both accepted and uncertain; each event was sent once", id)
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
