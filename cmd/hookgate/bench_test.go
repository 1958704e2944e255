package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"hookgate/bench"
	"hookgate/internal/testkit"
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
// and baseline as child processes) and checks that it works and that its
// exactly-once check passes. It asserts correctness, not a speed.
func TestBenchCommand(t *testing.T) {
	// Build first: on a cold cache the build alone can take minutes, and
	// the deadline is for the run.
	rep, out := runBench(t, bench.Options{
		Binary: mustBinary(t), Events: 600, Concurrency: 8, Duplicates: 0.1, OutOfOrder: 0.2,
		Baseline: true, Samples: 2, LogLevel: "warn", MemLimit: "256MiB",
	})
	if len(rep.Setups) != 1 {
		t.Fatalf("%d setups; want 1\n%s", len(rep.Setups), out)
	}
	s := rep.Setups[0]
	p := s.Result
	if s.Name != "sqlite" || s.Gateways != 1 || s.NATSNodes != 0 || s.Drain <= 0 {
		t.Errorf("setup %q: %d gateways, %d NATS nodes, drain %v; want the default, sqlite: one gateway on its embedded server, its outbox drained", s.Name, s.Gateways, s.NATSNodes, s.Drain)
	}
	sent := 600 + int(600*0.1)
	if p.Requests != sent || rep.Baseline.Requests != sent {
		t.Errorf("requests: gateway %d, baseline %d; want %d each", p.Requests, rep.Baseline.Requests, sent)
	}
	if p.Outcomes["accepted"] == 0 || p.Outcomes["duplicate"] < 60 || p.Outcomes["stale"] == 0 {
		t.Errorf("outcomes %v; want accepted events, at least the 60 repeated ones as duplicates, and stale ones", p.Outcomes)
	}
	if got := p.Outcomes["accepted"] + p.Outcomes["duplicate"] + p.Outcomes["stale"]; got != sent {
		t.Errorf("outcomes %v add up to %d; want %d (no errors)", p.Outcomes, got, sent)
	}
	if s.OnStream != p.Outcomes["accepted"] {
		t.Errorf("%d messages on the stream; want the %d accepted", s.OnStream, p.Outcomes["accepted"])
	}
	if p.CPU <= 0 || p.PeakRSS <= 0 || s.Ratio <= 0 || len(s.Samples) == 0 || rep.Baseline.Throughput <= 0 {
		t.Errorf("CPU %v, peak RSS %d, ratio %v, %d samples, baseline %v req/s; want all measured", p.CPU, p.PeakRSS, s.Ratio, len(s.Samples), rep.Baseline.Throughput)
	}
	if last := s.Samples[len(s.Samples)-1]; last.RSS <= 0 || last.HeapLive <= 0 || last.HeapLive > last.RSS {
		t.Errorf("last sample: RSS %d, live heap %d; want both measured, live below RSS", last.RSS, last.HeapLive)
	}
	if s.MemLimit != 256<<20 {
		t.Errorf("the gateway ran with memory limit %d; want the 256 MiB asked for", s.MemLimit)
	}
	for _, want := range []string{"exactly-once check sqlite: ok", "ratio sqlite/baseline", "latency p99", "CPU s / 1000 req", "live Go heap", "GOMEMLIMIT): 256.0 MiB"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
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
}

// TestBenchSetups runs a small multi-setup benchmark through the real
// binary: the baseline, then one gateway with storage.backend jetstream on
// its embedded server, then two on a three-node NATS cluster of child
// processes. Each setup must pass the exactly-once check, reading only the
// events' subjects of a stream that also holds claims and versions. It
// asserts correctness, not a speed.
func TestBenchSetups(t *testing.T) {
	rep, out := runBench(t, bench.Options{
		Binary: mustBinary(t), Events: 300, Concurrency: 4, Duplicates: 0.1, OutOfOrder: 0.2,
		Baseline: true, LogLevel: "warn", Setups: []string{"jetstream", "cluster-2"},
	})
	sent := 300 + int(300*0.1)
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
		if p.Requests != sent || p.Outcomes["accepted"] == 0 || p.Outcomes["duplicate"] == 0 || p.Outcomes["stale"] == 0 {
			t.Errorf("%s: %d requests, outcomes %v; want %d, with accepted, duplicate and stale events", s.Name, p.Requests, p.Outcomes, sent)
		}
		for k := range p.Outcomes {
			// 503 passes (a decision that timed out on a busy machine);
			// anything else is a bug.
			if k != "accepted" && k != "duplicate" && k != "stale" && k != "status 503" {
				t.Errorf("%s: outcomes %v; want only 2xx answers and 503", s.Name, p.Outcomes)
			}
		}
		if s.OnStream != p.Outcomes["accepted"]+s.Uncertain {
			t.Errorf("%s: %d messages on the stream; want the %d accepted and %d answered 503", s.Name, s.OnStream, p.Outcomes["accepted"], s.Uncertain)
		}
		if s.Drain != 0 || p.CPU <= 0 || p.PeakRSS <= 0 || s.Ratio <= 0 {
			t.Errorf("%s: drain %v, CPU %v, peak RSS %d, ratio %v; want no drain (the jetstream backend has no outbox) and the rest measured", s.Name, s.Drain, p.CPU, p.PeakRSS, s.Ratio)
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
		Binary: bin, Events: 300, Concurrency: 4, Duplicates: 0.1, OutOfOrder: 0.2, Baseline: true,
		URL: baseURL(m)(), Config: cfgPath, Provider: "shop",
	})
	sent := 300 + int(300*0.1)
	if b := rep.Baseline; b.Requests != sent || b.Outcomes["ok"] != sent {
		t.Errorf("baseline: %d requests, outcomes %v; want %d answered 200", b.Requests, b.Outcomes, sent)
	}
	s := rep.Setups[0]
	if s.Name != "hookgate" || s.Result.Outcomes["accepted"] == 0 || s.OnStream != s.Result.Outcomes["accepted"] || s.Ratio <= 0 {
		t.Errorf("setup %q: outcomes %v, %d on the stream, ratio %v; want the accepted events on the stream and a ratio", s.Name, s.Result.Outcomes, s.OnStream, s.Ratio)
	}
	if !strings.Contains(out, "ratio hookgate/baseline") {
		t.Errorf("report lacks the ratio:\n%s", out)
	}
}
