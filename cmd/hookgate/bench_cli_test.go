package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchFlagsWithGateway: with -gateway (a gateway bench does not
// start) every flag that sets up the servers bench starts is bad usage
// naming it, where they were accepted and ignored; -config and -provider
// without -gateway are too. Every bench flag is either one that applies to
// a running gateway's run or one refused with -gateway.
func TestBenchFlagsWithGateway(t *testing.T) {
	applies := map[string]bool{"events": true, "rounds": true, "latency": true, "concurrency": true, "duplicates": true,
		"out-of-order": true, "body-size": true, "rate": true, "baseline": true, "gateway": true, "config": true, "provider": true}
	values := map[string]string{"setups": "sqlite", "type": "github", "sync": "normal", "ttl": "1h", "stream-max-age": "1h",
		"dup-window": "1m", "log-level": "debug", "cpuprofile": "cpu.out", "memprofile": "mem.out", "memlimit": "100MiB", "cpuset": "0"}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	lookup("bench").define(fs)
	// -rounds 0 is refused too, after these checks: a combination let
	// through must not start a run (in a test, of the test binary).
	running := []string{"bench", "-rounds", "0", "-gateway", "http://127.0.0.1:1", "-config", "/nonexistent.yaml", "-provider", "shop"}
	fs.VisitAll(func(f *flag.Flag) {
		if applies[f.Name] {
			return
		}
		v, ok := values[f.Name]
		if !ok {
			v = "1" // a number, or true for a bool flag
			if b, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool && b.IsBoolFlag() {
				v = "true"
			}
		}
		args := append(append([]string{}, running...), "-"+f.Name+"="+v)
		var out bytes.Buffer
		if code := Run(context.Background(), args, &out, &out); code != 2 || !strings.Contains(out.String(), "-"+f.Name+" sets up the servers bench starts") {
			t.Errorf("hookgate %s: exit %d, %q; want 2 naming -%s", strings.Join(args, " "), code, out.String(), f.Name)
		}
	})
	for _, args := range [][]string{{"bench", "-config", "c.yaml", "-rounds", "0"}, {"bench", "-provider", "shop", "-rounds", "0"}} {
		var out bytes.Buffer
		if code := Run(context.Background(), args, &out, &out); code != 2 || !strings.Contains(out.String(), args[1]+" goes with -gateway") {
			t.Errorf("hookgate %s: exit %d, %q; want 2 naming %s", strings.Join(args, " "), code, out.String(), args[1])
		}
	}
}

// benchProcesses are the pids of the running processes of the executable
// bin (bench and the servers it starts).
func benchProcesses(bin string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && exe == bin {
			if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && !strings.Contains(string(stat), ") Z ") {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// TestBenchClosedStdout: `hookgate bench | head -3` stops bench at its
// next line, which it could not write, and bench then stops the servers
// it started and removes their directory before it exits 1 saying why,
// where the write's SIGPIPE killed it and left them behind.
func TestBenchClosedStdout(t *testing.T) {
	if _, err := os.Stat("/proc/self/exe"); err != nil {
		t.Skip("needs /proc to find the processes bench started")
	}
	// A copy of its own, so that the processes of this executable are
	// this test's.
	dir := t.TempDir()
	bin := filepath.Join(dir, "hookgate")
	b, err := os.ReadFile(mustBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // what a failing run left
		for _, pid := range benchProcesses(bin) {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
	})

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "bench", "-events", "200", "-rounds", "1", "-latency=false", "-concurrency", "2", "-log-level", "warn")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Read up to the setup's line, then close: the next line comes once
	// the gateway is up (its directory made, its server running).
	sc := bufio.NewScanner(r)
	var read []string
	for sc.Scan() {
		read = append(read, sc.Text())
		if strings.HasPrefix(sc.Text(), "sqlite:") {
			break
		}
	}
	r.Close()
	if len(read) == 0 || !strings.HasPrefix(read[len(read)-1], "sqlite:") {
		t.Fatalf("bench printed %q before its setup's line; stderr:\n%s", read, stderr.String())
	}

	select {
	case err = <-exited:
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("bench still running 90 s after its stdout closed; stderr:\n%s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "broken pipe") {
		t.Errorf("bench after its stdout closed: %v; want exit 1 saying its output failed (broken pipe)\n%s", err, stderr.String())
	}
	if pids := benchProcesses(bin); len(pids) > 0 {
		t.Errorf("bench left %d of its servers running (pids %v)", len(pids), pids)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "hookgate-bench-*"))
	if len(left) > 0 {
		t.Errorf("bench left %s behind", strings.Join(left, ", "))
	}
}
