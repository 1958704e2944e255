package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// mustBinary builds the hookgate binary once per test run.
func mustBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "hookgate-bin-")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(buildDir, "hookgate"), ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "hookgate")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// debugLog, when HOOKGATE_TEST_LOG names a file, receives every line the
// gateways started by startBinary log.
var debugLog = func() *os.File {
	if p := os.Getenv("HOOKGATE_TEST_LOG"); p != "" {
		f, err := os.Create(p)
		if err == nil {
			return f
		}
	}
	return nil
}()

// gatewayProcess is a running hookgate serve subprocess.
type gatewayProcess struct {
	cmd  *exec.Cmd
	addr string
	logs *lineBuffer
}

// lineBuffer keeps the last lines a process logged, for failure messages.
type lineBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *lineBuffer) add(l string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, l)
	if len(b.lines) > 200 {
		b.lines = b.lines[1:]
	}
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

// startBinary starts `hookgate serve -config cfg` and waits until it
// reports its listen address. The process is killed at cleanup if still
// running.
func startBinary(tb testing.TB, bin, cfg string) *gatewayProcess {
	tb.Helper()
	return startCmd(tb, exec.Command(bin, "serve", "-config", cfg))
}

// startCmd starts cmd, a `hookgate serve`, as startBinary does.
func startCmd(tb testing.TB, cmd *exec.Cmd) *gatewayProcess {
	tb.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	g := &gatewayProcess{cmd: cmd, logs: &lineBuffer{}}
	addr := make(chan string, 1)
	exited := make(chan struct{}) // stderr closed: the process ended
	go func() {
		defer close(exited)
		re := regexp.MustCompile(`msg="hookgate listening" addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			g.logs.add(sc.Text()) // first: a caller that got the address reads the line
			if debugLog != nil {
				fmt.Fprintln(debugLog, sc.Text())
			}
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select { // the first address; keep draining stderr after it
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case g.addr = <-addr:
		return g
	case <-exited:
		select {
		case g.addr = <-addr:
			return g
		default:
		}
		tb.Fatalf("hookgate exited before it reported its listen address:\n%s", g.logs)
		return nil
	case <-time.After(30 * time.Second):
		tb.Fatalf("hookgate did not report its listen address:\n%s", g.logs)
		return nil
	}
}

// stream is the gateway's stream on its embedded NATS server, whose
// address it logged.
func (g *gatewayProcess) stream(tb testing.TB) jetstream.Stream {
	tb.Helper()
	m := regexp.MustCompile(`nats=(nats://\S+)`).FindStringSubmatch(g.logs.String())
	if m == nil {
		tb.Fatalf("no NATS address in the log:\n%s", g.logs)
	}
	return testkit.Stream(tb, m[1], forward.DefaultStreamName)
}

// onlyMessage waits for the stream to hold a message and returns it,
// failing tb when the stream holds more than that one (why says what
// must have added none).
func onlyMessage(tb testing.TB, ctx context.Context, st jetstream.Stream, why string) *jetstream.RawStreamMsg {
	tb.Helper()
	var n uint64
	testkit.WaitFor(tb, 10*time.Second, func() string { return fmt.Sprintf("the stream holds %d messages; want 1", n) }, func() bool {
		info, err := st.Info(ctx)
		if err == nil {
			n = info.State.Msgs
		}
		return n >= 1
	})
	m, err := st.GetMsg(ctx, 1)
	if err != nil {
		tb.Fatal(err)
	}
	if info, err := st.Info(ctx); err != nil {
		tb.Error(err)
	} else if info.State.Msgs != 1 {
		tb.Errorf("the stream holds %d messages; want 1: %s add none", info.State.Msgs, why)
	}
	return m
}

// TestBinarySIGTERM serves an event with the built binary and checks that
// SIGTERM drains and exits 0 within a few seconds.
func TestBinarySIGTERM(t *testing.T) {
	bin := mustBinary(t)
	cfg := gatewayConfig(t, testkit.EmbeddedNATS, "providers:"+demoProvider)
	g := startBinary(t, bin, cfg)
	base := "http://" + g.addr

	out, err := exec.Command(bin, "send", "-config", cfg, "-provider", "demo", "-gateway", base).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "202 Accepted") {
		t.Fatalf("send: %v\n%s", err, out)
	}

	start := time.Now()
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = g.cmd.Wait()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, g.logs)
	}
	if elapsed > 10*time.Second {
		t.Errorf("shutdown took %s; want a few seconds at most", elapsed)
	}
	if _, err := http.Get(base + "/webhooks/demo"); err == nil {
		t.Error("the port still answers after exit")
	}
}

// TestBinarySIGHUP: SIGHUP ends every command but serve as SIGTERM does
// (tail exits 0), so that they end with the terminal or SSH session they
// run in; serve reloads its config on it and keeps serving.
func TestBinarySIGHUP(t *testing.T) {
	bin := mustBinary(t)
	ns := testkit.StartNATS(t)
	var out testkit.SyncBuffer
	tail := exec.Command(bin, "tail", "-nats", ns.URL(), "hup.>")
	tail.Stdout = &out
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- tail.Wait() }()
	t.Cleanup(func() {
		if tail.ProcessState == nil {
			tail.Process.Kill()
			<-exited
		}
	})
	publishUntil(t, ns.URL(), "hup.ready", func() bool { return strings.Contains(out.String(), "--- hup.ready") })
	if err := tail.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("tail after SIGHUP: %v; want exit 0, as after SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("tail still running 10 s after SIGHUP")
	}

	// Started with SIGHUP ignored (nohup), it keeps running through one.
	var nout testkit.SyncBuffer
	nohup := exec.Command("nohup", bin, "tail", "-nats", ns.URL(), "hup.>")
	nohup.Stdout = &nout
	if err := nohup.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		nohup.Process.Kill()
		nohup.Wait()
	}()
	publishUntil(t, ns.URL(), "hup.ready", func() bool { return strings.Contains(nout.String(), "--- hup.ready") })
	if err := nohup.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	publishUntil(t, ns.URL(), "hup.after", func() bool { return strings.Contains(nout.String(), "--- hup.after") })

	cfg := gatewayConfig(t, testkit.EmbeddedNATS, "providers:"+demoProvider)
	g := startBinary(t, bin, cfg)
	if err := g.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, func() string { return "serve did not reload on SIGHUP:\n" + g.logs.String() },
		func() bool { return strings.Contains(g.logs.String(), "config reloaded") })
	send, err := exec.Command(bin, "send", "-config", cfg, "-provider", "demo", "-gateway", "http://"+g.addr).CombinedOutput()
	if err != nil || !strings.Contains(string(send), "202 Accepted") {
		t.Errorf("send to serve after its SIGHUP: %v\n%s", err, send)
	}
}

// TestHostileSecondInstance: a second serve on a data directory in
// use exits 1 at once, naming the directory and the first one's pid; the
// first keeps serving, events and replay work beside it, and after a
// SIGKILL of the first (the kernel drops its lock) a new serve starts.
func TestHostileSecondInstance(t *testing.T) {
	bin := mustBinary(t)
	cfg := gatewayConfig(t, "archive: {enabled: true}", testkit.EmbeddedNATS, "providers:"+demoProvider)
	dataDir := filepath.Join(filepath.Dir(cfg), "data")
	first := startBinary(t, bin, cfg)

	// Without the lock the second serve runs until the deadline kills it.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out bytes.Buffer
	second := exec.CommandContext(ctx, bin, "serve", "-config", cfg)
	second.Stdout, second.Stderr = &out, &out
	err := second.Run()
	if ctx.Err() != nil {
		t.Fatalf("a second serve on the same data_dir was still running after 60s:\n%s", out.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("second serve: %v; want exit 1\n%s", err, out.String())
	}
	for _, want := range []string{dataDir, fmt.Sprintf("pid %d", first.cmd.Process.Pid)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("second serve said %q; want it to name %q", out.String(), want)
		}
	}

	base := "http://" + first.addr
	send, err := exec.Command(bin, "send", "-config", cfg, "-provider", "demo", "-gateway", base, "-id", "evt_lock").CombinedOutput()
	if err != nil || !strings.Contains(string(send), "202 Accepted") {
		t.Fatalf("send to the first gateway: %v\n%s", err, send)
	}
	events, err := exec.Command(bin, "events", "-config", cfg, "-id", "evt_lock").CombinedOutput()
	if err != nil || !strings.Contains(string(events), "status:      accepted") {
		t.Errorf("events beside the running gateway: %v\n%s", err, events)
	}
	replay, err := exec.Command(bin, "replay", "-config", cfg, "-id", "evt_lock").CombinedOutput()
	if err != nil || !strings.Contains(string(replay), "1 events queued") {
		t.Errorf("replay beside the running gateway: %v\n%s", err, replay)
	}

	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.cmd.Wait()
	next := startBinary(t, bin, cfg) // fails the test if it does not start
	if err := next.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := next.cmd.Wait(); err != nil {
		t.Errorf("the serve started after the SIGKILL: exit %v\n%s", err, next.logs)
	}
}
