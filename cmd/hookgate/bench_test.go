package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/bench"
	"github.com/hookgate/hookgate/internal/testkit"
)

// runBench runs the benchmark (within two minutes) and fails the test
// unless it ran and its exactly-once check passed; it returns the report
// and what bench printed.
func runBench(t *testing.T, o bench.Options) (*bench.Report, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := bench.Run(ctx, o, &out)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	if err := rep.Check(); err != nil {
		t.Fatalf("exactly-once check: %v\n%s", err, out.String())
	}
	return rep, out.String()
}

// TestBenchCommand runs a short benchmark through the real binary (gateway
// and baseline as child processes, both up for the whole run): two rounds
// of the baseline and the gateway (the baseline first in the first, last
// in the second), then the latency run. It
// checks the report's structure and that the exactly-once check passes
// over every round. It asserts correctness, not a speed.
func TestBenchCommand(t *testing.T) {
	// Build first: on a cold cache the build alone can take minutes, and
	// the deadline is for the run.
	const events, rounds = 600, 2
	rep, out := runBench(t, bench.Options{
		Binary: mustBinary(t), Events: events, Rounds: rounds, Latency: true, Concurrency: 8, Duplicates: 0.1, OutOfOrder: 0.2,
		Baseline: true, Samples: 2, LogLevel: "warn", MemLimit: "256MiB",
	})
	if len(rep.Setups) != 1 {
		t.Fatalf("%d setups; want 1\n%s", len(rep.Setups), out)
	}
	checkRounds(t, rep, rounds, []string{"sqlite"}, out)
	s := rep.Setups[0]
	p := s.Result
	if s.Name != "sqlite" || s.Gateways != 1 || s.NATSNodes != 0 || s.Drain <= 0 {
		t.Errorf("setup %q: %d gateways, %d NATS nodes, drain %v; want the default, sqlite: one gateway on its embedded server, its outbox drained", s.Name, s.Gateways, s.NATSNodes, s.Drain)
	}
	// The plan: the rounds' events and a round's share more for the
	// latency run, 10% repeated, in three parts of the same size.
	planned := events + events/rounds
	part := (planned + int(float64(planned)*0.1)) / (rounds + 1)
	if p.Requests != rounds*part || rep.Baseline.Requests != rounds*part {
		t.Errorf("requests over the rounds: gateway %d, baseline %d; want %d each", p.Requests, rep.Baseline.Requests, rounds*part)
	}
	lr := s.Latency
	if lr == nil || lr.Baseline == nil {
		t.Fatalf("no latency run of the gateway and the baseline\n%s", out)
	}
	if lr.Result.Requests != part || lr.Baseline.Requests != part {
		t.Errorf("latency run: gateway %d requests, baseline %d; want %d each", lr.Result.Requests, lr.Baseline.Requests, part)
	}
	// What the gateway measured over the latency run: each request
	// answered, each decided one in one of the writer's batches, each
	// batch decided once, published when it had messages, committed at
	// least once; over 10 ms is over 5 ms too.
	decided := lr.Result.Outcomes["accepted"] + lr.Result.Outcomes["duplicate"] + lr.Result.Outcomes["stale"]
	timed := func(what string, tm bench.Timed, least, most float64, took bool) {
		if tm.Count < least || tm.Count > most || tm.Seconds < 0 || took && tm.Seconds == 0 || tm.Over10ms > tm.Over5ms || tm.Over5ms > tm.Count {
			t.Errorf("%s: %+v; want %v to %v timed (taking time: %v), and no more over 10 ms than over 5 ms than in all", what, tm, least, most, took)
		}
	}
	if in := lr.Inside; in == nil || in.Events != float64(decided) || in.Batches < 1 || in.Batches > in.Events {
		t.Errorf("latency run, inside %+v; want its %d decided requests in 1 to %d batches", in, decided, decided)
	} else {
		timed("requests", in.Requests, float64(part), float64(part), true)
		timed("decide", in.Stages[0], in.Batches, in.Batches, true)
		timed("publish", in.Stages[1], 1, in.Batches, true) // batches that published
		// Batches answered before their commit share one.
		timed("commit", in.Stages[2], 1, in.Batches, true)
	}
	accepted := p.Outcomes["accepted"] + lr.Result.Outcomes["accepted"]
	all := mergeOutcomes(p.Outcomes, lr.Result.Outcomes)
	if accepted == 0 || all["duplicate"] < int(float64(planned)*0.1) || all["stale"] == 0 {
		t.Errorf("outcomes %v; want accepted events, at least the %d repeated ones as duplicates, and stale ones", all, int(float64(planned)*0.1))
	}
	if got := all["accepted"] + all["duplicate"] + all["stale"]; got != (rounds+1)*part {
		t.Errorf("outcomes %v add up to %d; want %d (no errors)", all, got, (rounds+1)*part)
	}
	if s.OnStream != accepted {
		t.Errorf("%d messages on the stream; want the %d accepted over the rounds and the latency run", s.OnStream, accepted)
	}
	// The check held the answers to the plan: its new events accepted,
	// its late versions not.
	if c := s.Checked; c.New == 0 || c.Stale == 0 || c.Accepted != accepted || c.New > accepted || c.New+c.Stale+c.Either+c.Failed != planned {
		t.Errorf("checked %+v; want the plan's %d events, new and stale ones among them, the %d accepted", c, planned, accepted)
	}
	if p.CPU <= 0 || p.PeakRSS <= 0 || len(s.Samples) == 0 || rep.Baseline.CPU <= 0 {
		t.Errorf("CPU %v, peak RSS %d, %d samples, baseline CPU %v; want all measured", p.CPU, p.PeakRSS, len(s.Samples), rep.Baseline.CPU)
	}
	if last := s.Samples[len(s.Samples)-1]; last.RSS <= 0 || last.HeapLive <= 0 || last.HeapLive > last.RSS || last.Done != (rounds+1)*part {
		t.Errorf("last sample: RSS %d, live heap %d, after %d requests; want both measured, live below RSS, after all %d", last.RSS, last.HeapLive, last.Done, (rounds+1)*part)
	}
	if s.MemLimit != 256<<20 {
		t.Errorf("the gateway ran with memory limit %d; want the 256 MiB asked for", s.MemLimit)
	}
	for _, want := range []string{"exactly-once check sqlite: ok", "ratio sqlite/baseline (requests/s, median of 2 rounds)",
		"requests/s, median of rounds", "latency p99", "CPU s / 1000 req", "live Go heap", "GOMEMLIMIT): 256.0 MiB",
		"latency run at half of each setup's median saturated rate", "baseline at sqlite's rate", "longest without an answer", "sqlite, inside the gateway over the latency run: requests over 5 ms / 10 ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// checkRounds checks a report's rounds: in odd rounds the baseline's phase
// and then each setup's, in even rounds the same in reverse; each setup's
// ratio in a round is its rate over the baseline's of that round; its
// median ratio and rate lie between their minimum and maximum and its
// rounds add up to its total; its latency run, if any, asked half its
// median rate and measured latencies in order.
func checkRounds(t *testing.T, rep *bench.Report, rounds int, setups []string, out string) {
	t.Helper()
	per := 1 + len(setups)
	if len(rep.Phases) != rounds*per {
		t.Fatalf("%d phases; want %d rounds of the baseline and %v\n%s", len(rep.Phases), rounds, setups, out)
	}
	phaseOf := map[[2]any]*bench.Phase{} // by round and name
	for r := range rounds {
		round := r + 1
		want := append([]string{"baseline"}, setups...)
		if round%2 == 0 {
			slices.Reverse(want)
		}
		for i, ph := range rep.Phases[r*per : round*per] {
			if ph.Round != round || ph.Name != want[i] || ph.Result.Requests == 0 {
				t.Errorf("round %d, phase %d: round %d, %q, %d requests; want %q (order %v), requests answered", round, i, ph.Round, ph.Name, ph.Result.Requests, want[i], want)
			}
			phaseOf[[2]any{round, ph.Name}] = ph
		}
		if !strings.Contains(out, fmt.Sprintf("%d/%d", round, rounds)) {
			t.Errorf("report lacks round %d/%d:\n%s", round, rounds, out)
		}
		base := phaseOf[[2]any{round, "baseline"}]
		for _, name := range setups {
			ph := phaseOf[[2]any{round, name}]
			if base == nil || ph == nil {
				continue
			}
			if want := ph.Result.Throughput / base.Result.Throughput; ph.Ratio != want || want <= 0 {
				t.Errorf("%s, round %d: ratio %v; want its %v req/s over the baseline's %v of the round", name, round, ph.Ratio, ph.Result.Throughput, base.Result.Throughput)
			}
		}
	}
	between := func(what string, sp bench.Spread) {
		if !(sp.Min > 0 && sp.Min <= sp.Median && sp.Median <= sp.Max) {
			t.Errorf("%s: median %v, min %v, max %v; want the median between the two, all above 0", what, sp.Median, sp.Min, sp.Max)
		}
	}
	between("baseline requests/s", rep.BaselineRate)
	for i, s := range rep.Setups {
		if s.Name != setups[i] || len(s.Phases) != rounds {
			t.Errorf("setup %d: %q with %d rounds; want %q with %d", i, s.Name, len(s.Phases), setups[i], rounds)
			continue
		}
		between(s.Name+" requests/s", s.Rate)
		between(s.Name+" ratio", s.Ratio)
		sum := 0
		for r, ph := range s.Phases {
			if ph != phaseOf[[2]any{r + 1, s.Name}] {
				t.Errorf("%s: its round %d is not the report's phase of that round", s.Name, r+1)
			}
			sum += ph.Result.Requests
		}
		if s.Result.Requests != sum {
			t.Errorf("%s: %d requests in all; want its rounds' %d", s.Name, s.Result.Requests, sum)
		}
		if lr := s.Latency; lr != nil {
			for _, res := range []*bench.Result{lr.Result, lr.Baseline} {
				if res == nil {
					continue
				}
				l := res.Latency
				if res.Rate != lr.Rate || !(l[0] > 0 && l[0] <= l[1] && l[1] <= l[2] && l[2] <= l[3]) || res.Stall <= 0 || res.Stall > res.Elapsed {
					t.Errorf("%s: latency run of %s: rate %v of %v asked, percentiles %v, longest without an answer %v in %v; want the rate asked, percentiles in order, a gap within the run",
						s.Name, res.Name, res.Rate, lr.Rate, l, res.Stall, res.Elapsed)
				}
			}
			if lr.Rate != s.Rate.Median/2 {
				t.Errorf("%s: latency run at %v requests/s; want half its median %v", s.Name, lr.Rate, s.Rate.Median)
			}
		}
	}
}

// mergeOutcomes adds up outcome counts.
func mergeOutcomes(ms ...map[string]int) map[string]int {
	all := map[string]int{}
	for _, m := range ms {
		for k, v := range m {
			all[k] += v
		}
	}
	return all
}

// TestBenchRefusesBadMemLimit: the runtime would refuse to start the
// servers on a malformed GOMEMLIMIT; bench says so before starting anything.
func TestBenchRefusesBadMemLimit(t *testing.T) {
	var out bytes.Buffer
	_, err := bench.Run(context.Background(), bench.Options{Binary: "/nonexistent", MemLimit: "200MB"}, &out)
	if err == nil || !strings.Contains(err.Error(), `"200MB" is not a GOMEMLIMIT value`) {
		t.Fatalf("err = %v; want the malformed limit named", err)
	}
	if out.Len() != 0 {
		t.Errorf("wrote %q before refusing", out.String())
	}
	if _, err := bench.Run(context.Background(), bench.Options{Binary: "/nonexistent", Duplicates: -0.5}, &out); err == nil || !strings.Contains(err.Error(), "shares from 0 to 1") {
		t.Errorf("negative -duplicates: err = %v; want it refused (it panicked)", err)
	}
	if _, err := bench.Run(context.Background(), bench.Options{Binary: "/nonexistent", Events: 2, Rounds: 3}, &out); err == nil || !strings.Contains(err.Error(), "each round needs events of its own") {
		t.Errorf("more rounds than events: err = %v; want it refused", err)
	}
}

// TestBenchSetups runs a small multi-setup benchmark through the real
// binary, all up at once: in each of two rounds the baseline, one
// gateway with storage.backend jetstream on its embedded server and two
// on a three-node NATS cluster of child processes, in turn (no latency run:
// TestBenchCommand has one, and jetstream's would take seconds). Each
// setup must pass the exactly-once check over its rounds, reading only the
// events' subjects of a stream that also holds claims and versions. It
// asserts correctness, not a speed.
func TestBenchSetups(t *testing.T) {
	rep, out := runBench(t, bench.Options{
		Binary: mustBinary(t), Events: 300, Rounds: 2, Concurrency: 4, Duplicates: 0.1, OutOfOrder: 0.2,
		Baseline: true, LogLevel: "warn", Setups: []string{"jetstream", "cluster-2"},
	})
	checkRounds(t, rep, 2, []string{"jetstream", "cluster-2"}, out)
	sent := 300 + int(300*0.1) // over the two rounds
	want := []struct {
		name            string
		gateways, nodes int
	}{{"jetstream", 1, 0}, {"cluster-2", 2, 3}}
	if len(rep.Setups) != len(want) {
		t.Fatalf("%d setups; want %d\n%s", len(rep.Setups), len(want), out)
	}
	for i, w := range want {
		s := rep.Setups[i]
		p := s.Result
		if s.Name != w.name || s.Gateways != w.gateways || s.NATSNodes != w.nodes {
			t.Errorf("setup %d: %q with %d gateways and %d NATS nodes; want %q with %d and %d", i, s.Name, s.Gateways, s.NATSNodes, w.name, w.gateways, w.nodes)
		}
		all := p.Outcomes
		if p.Requests != sent || all["accepted"] == 0 || all["duplicate"] == 0 || all["stale"] == 0 || s.Latency != nil {
			t.Errorf("%s: %d requests, outcomes %v, latency run %v; want %d, with accepted, duplicate and stale events, and no latency run", s.Name, p.Requests, all, s.Latency, sent)
		}
		for k := range all {
			// Anything but a 2xx answer fails the run (runBench): a 503
			// (a decision that timed out on a busy machine) measures
			// nothing.
			if k != "accepted" && k != "duplicate" && k != "stale" {
				t.Errorf("%s: outcomes %v; want only 2xx answers", s.Name, all)
			}
		}
		if s.OnStream != all["accepted"] {
			t.Errorf("%s: %d messages on the stream; want the %d accepted", s.Name, s.OnStream, all["accepted"])
		}
		if s.Drain != 0 || p.CPU <= 0 || p.PeakRSS <= 0 {
			t.Errorf("%s: drain %v, CPU %v, peak RSS %d; want no drain (the jetstream backend has no outbox) and the rest measured", s.Name, s.Drain, p.CPU, p.PeakRSS)
		}
		if (s.NATSCPU > 0) != (w.nodes > 0) || (s.NATSPeakRSS > 0) != (w.nodes > 0) {
			t.Errorf("%s: NATS nodes CPU %v, peak RSS %d; want them measured only with a cluster", s.Name, s.NATSCPU, s.NATSPeakRSS)
		}
	}
	for _, want := range []string{"exactly-once check jetstream: ok", "exactly-once check cluster-2: ok", "ratio cluster-2/baseline", "NATS nodes CPU s / 1000 req"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestBenchRunningGateway runs the benchmark against a gateway it did not
// start (-gateway): the baseline signs as the gateway's provider (it once
// signed with an empty secret and measured nothing), and the check waits
// for the relay to send what the gateway accepted.
func TestBenchRunningGateway(t *testing.T) {
	bin := mustBinary(t)
	cfgPath := gatewayConfig(t,
		fmt.Sprintf("nats: {port: %d}", testkit.FreePort(t)),
		"http: {shutdown_timeout: 2s}",
		shopProvider("data.object.version"))
	m := startMain(t, cfgPath)
	rep, out := runBench(t, bench.Options{
		Binary: bin, Events: 300, Rounds: 3, Concurrency: 4, Duplicates: 0.1, OutOfOrder: 0.2, Baseline: true,
		URL: baseURL(m)(), Config: cfgPath, Provider: "shop",
	})
	checkRounds(t, rep, 3, []string{"hookgate"}, out)
	sent := 300 + int(300*0.1) // no latency run: the rounds send the plan
	if b := rep.Baseline; b.Requests != sent || b.Outcomes["ok"] != sent {
		t.Errorf("baseline: %d requests, outcomes %v; want %d answered 200", b.Requests, b.Outcomes, sent)
	}
	s := rep.Setups[0]
	if s.Name != "hookgate" || s.Result.Outcomes["accepted"] == 0 || s.OnStream != s.Result.Outcomes["accepted"] || s.Latency != nil {
		t.Errorf("setup %q: outcomes %v, %d on the stream, latency run %v; want the accepted events on the stream and no latency run", s.Name, s.Result.Outcomes, s.OnStream, s.Latency)
	}
	if !strings.Contains(out, "ratio hookgate/baseline") {
		t.Errorf("report lacks the ratio:\n%s", out)
	}
}
