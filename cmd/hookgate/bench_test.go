package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"hookgate/bench"
)

// TestBenchCommand runs a short benchmark through the real binary (gateway
// and baseline as child processes) and checks that it works and that its
// exactly-once check passes. It asserts correctness, not a speed.
func TestBenchCommand(t *testing.T) {
	// Build first: on a cold cache the build alone can take minutes, and
	// the deadline is for the run.
	bin := mustBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := bench.Run(ctx, bench.Options{
		Binary: bin, Events: 600, Concurrency: 8, Duplicates: 0.1, OutOfOrder: 0.2,
		Baseline: true, Samples: 2, LogLevel: "warn", MemLimit: "256MiB",
	}, &out)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	if rep.Check != nil {
		t.Fatalf("exactly-once check: %v\n%s", rep.Check, out.String())
	}
	p := rep.Pipeline
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
	if rep.OnStream != p.Outcomes["accepted"] {
		t.Errorf("%d messages on the stream; want the %d accepted", rep.OnStream, p.Outcomes["accepted"])
	}
	if p.CPU <= 0 || p.PeakRSS <= 0 || rep.Ratio <= 0 || len(rep.Samples) == 0 {
		t.Errorf("CPU %v, peak RSS %d, ratio %v, %d samples; want all measured", p.CPU, p.PeakRSS, rep.Ratio, len(rep.Samples))
	}
	if last := rep.Samples[len(rep.Samples)-1]; last.RSS <= 0 || last.HeapLive <= 0 || last.HeapLive > last.RSS {
		t.Errorf("last sample: RSS %d, live heap %d; want both measured, live below RSS", last.RSS, last.HeapLive)
	}
	if rep.MemLimit != 256<<20 {
		t.Errorf("the gateway ran with memory limit %d; want the 256 MiB asked for", rep.MemLimit)
	}
	for _, want := range []string{"exactly-once check: ok", "ratio hookgate/baseline", "latency p99", "CPU s / 1000 req", "live Go heap", "GOMEMLIMIT): 256.0 MiB"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
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
