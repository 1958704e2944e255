package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.yaml.in/yaml/v3"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/consume"
	"github.com/hookgate/hookgate/internal/testkit"
)

// These tests run the example as its README does: the built hookgate binary
// serves hookgate.yaml (moved to free ports and a temp dir) with its
// embedded NATS server, signing every message with a key from `hookgate
// keygen`; events go in with `hookgate send`; the built consumer reads them.

// TestConsumer: every accepted event is recorded and printed once, two
// versions of one payment in order; a body the handler cannot decode is
// dead-lettered (permanent), a message not signed by the gateway is refused
// and dead-lettered, neither recorded; a database held locked makes the
// handler fail and the event is recorded on a later attempt; SIGTERM stops
// the consumer with exit 0.
func TestConsumer(t *testing.T) {
	s := startStack(t)
	c := s.startConsumer(t, nil)

	s.sendPayment(t, "evt_a1", "payment_intent.created", "pi_a", 100, 2000)
	s.sendPayment(t, "evt_a2", "payment_intent.succeeded", "pi_a", 200, 2000)
	s.sendPayment(t, "evt_b1", "payment_intent.succeeded", "pi_b", 100, 500)
	s.send(t, "-id", "evt_c1", "-event-type", "payment_intent.succeeded", "-entity", "pi_c", "-version", "100") // as the README sends
	s.sendBody(t, "evt_bad", `{"id":"evt_bad","type":"payment_intent.succeeded","created":100,"data":{"object":{"id":"pi_bad","amount":"lots"}}}`)
	s.publishForged(t, "evt_forged")
	s.waitSettled(t, c, 4, 2)

	// A transient failure: the database is locked for longer than the
	// consumer's busy timeout; the handler's error is retried.
	lock, err := s.db(t).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	s.sendPayment(t, "evt_d1", "payment_intent.succeeded", "pi_d", 100, 700)
	c.waitStderr(t, "handler failed; retrying")
	if _, err := lock.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	s.waitSettled(t, c, 5, 2)

	want := []row{
		{event: "evt_a1", provider: "stripe", typ: "payment_intent.created", payment: "pi_a", version: "100", amount: 2000},
		{event: "evt_a2", provider: "stripe", typ: "payment_intent.succeeded", payment: "pi_a", version: "200", amount: 2000},
		{event: "evt_b1", provider: "stripe", typ: "payment_intent.succeeded", payment: "pi_b", version: "100", amount: 500},
		{event: "evt_c1", provider: "stripe", typ: "payment_intent.succeeded", payment: "pi_c", version: "100", amount: 0},
		{event: "evt_d1", provider: "stripe", typ: "payment_intent.succeeded", payment: "pi_d", version: "100", amount: 700},
	}
	// Events of different payments may be recorded in any order; those of
	// one payment are recorded in its order.
	rows := s.rows(t)
	if got := sortedRows(rows); !slices.Equal(got, want) {
		t.Errorf("table payments, sorted:\n%v\nwant:\n%v", got, want)
	}
	if i, j := slices.IndexFunc(rows, isEvent("evt_a1")), slices.IndexFunc(rows, isEvent("evt_a2")); i > j {
		t.Errorf("evt_a1 recorded after evt_a2, the next version of its payment: %v", rows)
	}
	lines := c.recorded(t)
	slices.SortFunc(lines, func(a, b recordedLine) int { return strings.Compare(a.Event, b.Event) })
	if len(lines) != len(want) {
		t.Errorf("the consumer printed %d lines; want %d:\n%v", len(lines), len(want), lines)
	}
	for i, l := range lines[:min(len(lines), len(want))] {
		w := want[i]
		attemptOK := l.Attempt == 1
		if w.event == "evt_d1" {
			attemptOK = l.Attempt >= 2
		}
		if l.Event != w.event || l.Type != w.typ || l.Payment != w.payment || l.Version != w.version || l.Amount != w.amount || !attemptOK {
			t.Errorf("line %+v; want the event of %+v (attempt 1; 2 or more for evt_d1)", l, w)
		}
	}

	dead := s.deadLetters(t)
	for id, reason := range map[string]string{"stripe:evt_bad": consume.ReasonPermanent, "stripe:evt_forged": consume.ReasonRefused} {
		h, ok := dead[id]
		switch {
		case !ok:
			t.Errorf("no dead letter of %s; have %v", id, dead)
		case h.Get(consume.HeaderDeadReason) != reason || h.Get(consume.HeaderDeadConsumer) != "payments":
			t.Errorf("dead letter of %s: reason %q from %q; want %q from payments (error %q)", id,
				h.Get(consume.HeaderDeadReason), h.Get(consume.HeaderDeadConsumer), reason, h.Get(consume.HeaderDeadError))
		}
	}
	if h := dead["stripe:evt_forged"]; h != nil && !strings.Contains(h.Get(consume.HeaderDeadError), "unknown key") {
		t.Errorf("the forged message's dead letter says %q; want the unknown key", h.Get(consume.HeaderDeadError))
	}

	c.stop(t)
}

// TestConsumerCrash kills the consumer with SIGKILL while each of its
// handlers has committed an event and not yet acknowledged it, starts it
// again, and checks that after the redelivery every event is in the table
// exactly once.
//
// The crash is arranged without a hook in the example: the first
// consumer's stdout is a pipe the test has filled and never reads, and a
// handler prints its line after its commit and before the message is
// acknowledged. So each of the 4 workers commits one event and blocks on
// its line, and the test kills the process when the table holds 4 rows and
// the server has had no acknowledgement.
func TestConsumerCrash(t *testing.T) {
	s := startStack(t)
	stdout := fullPipe(t)
	first := s.startConsumer(t, stdout, "-concurrency", "4", "-ack-wait", "3s")
	stdout.Close() // the consumer has its own copy

	type event struct {
		id, payment string
		created     int
	}
	var events []event
	for i := range 8 {
		events = append(events, event{fmt.Sprintf("evt_%d", i), fmt.Sprintf("pi_%d", i), 100})
	}
	events = append(events, event{"evt_0b", "pi_0", 200}, event{"evt_1b", "pi_1", 200})
	for _, e := range events {
		s.sendPayment(t, e.id, "payment_intent.succeeded", e.payment, e.created, 100)
	}

	var before []row
	testkit.WaitFor(t, 60*time.Second, func() string {
		return fmt.Sprintf("the first consumer recorded %d events; want 4\n%s", len(before), first)
	}, func() bool {
		before = s.rows(t)
		return len(before) >= 4
	})
	if len(before) != 4 {
		t.Fatalf("the first consumer recorded %d events with 4 handlers blocked; want 4: %v", len(before), before)
	}
	if info := s.consumerInfo(t); info.AckFloor.Stream != 0 {
		t.Fatalf("the server had acknowledgements up to stream sequence %d before the crash; want none", info.AckFloor.Stream)
	}
	first.kill(t)

	second := s.startConsumer(t, nil, "-concurrency", "4", "-ack-wait", "3s")
	s.waitSettled(t, second, len(events), 0)

	rows := s.rows(t)
	count := map[string]int{}
	order := map[string]int{}
	for i, r := range rows {
		count[r.event]++
		order[r.event] = i
	}
	for _, e := range events {
		if count[e.id] != 1 {
			t.Errorf("%s is in the table %d times; want once", e.id, count[e.id])
		}
	}
	if len(rows) != len(events) {
		t.Errorf("the table holds %d rows; want %d: %v", len(rows), len(events), rows)
	}
	for _, p := range [][2]string{{"evt_0", "evt_0b"}, {"evt_1", "evt_1b"}} {
		if order[p[0]] > order[p[1]] {
			t.Errorf("%s recorded after %s, its later version", p[0], p[1])
		}
	}
	// The events the first consumer committed came again and were
	// acknowledged without a call; the second recorded the others.
	var printed []string
	for _, l := range second.recorded(t) {
		printed = append(printed, l.Event)
	}
	var rest []string
	for _, r := range rows[len(before):] {
		rest = append(rest, r.event)
	}
	slices.Sort(printed)
	slices.Sort(rest)
	if !slices.Equal(printed, rest) {
		t.Errorf("the second consumer recorded %v; want %v (not the first's %v again)", printed, rest, before)
	}
	if !slices.Equal(rows[:len(before)], before) {
		t.Errorf("the table's first rows changed: %v; want %v", rows[:len(before)], before)
	}
	second.stop(t)
}

// stack is a gateway, run from the built binary with the example's config,
// and what the tests need to drive the consumer against it.
type stack struct {
	hookgate, consumer string // the binaries
	dir                string
	config             string // the gateway's config file
	pubKey             string // the gateway's public key file
	natsURL            string
	gateway            *process
	js                 jetstream.JetStream
	dbOnce             sync.Once
	sqlDB              *sql.DB
}

// startStack makes a key pair with `hookgate keygen`, starts `hookgate
// serve` on the example's config, moved to free ports and a temp dir, and
// waits until its /readyz answers 200.
func startStack(t *testing.T) *stack {
	t.Helper()
	hookgate, consumer := mustBuild(t)
	s := &stack{hookgate: hookgate, consumer: consumer, dir: t.TempDir()}
	key := filepath.Join(s.dir, "bus-signing.pem")
	if out, err := command(t, hookgate, "keygen", "-out", key).CombinedOutput(); err != nil {
		t.Fatalf("hookgate keygen: %v\n%s", err, out)
	}
	s.pubKey = key + ".pub"

	src, err := os.ReadFile("hookgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Rest map[string]any `yaml:",inline"`
		NATS struct {
			Rest map[string]any `yaml:",inline"`
			Port int            `yaml:"port"`
			Sign struct {
				KeyFile string `yaml:"key_file"`
			} `yaml:"sign"`
		} `yaml:"nats"`
	}
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		t.Fatal(err)
	}
	ports := testkit.FreePorts(t, 3)
	cfg.Rest["listen"] = fmt.Sprintf("127.0.0.1:%d", ports[0])
	cfg.Rest["admin"] = map[string]string{"listen": fmt.Sprintf("127.0.0.1:%d", ports[1])}
	cfg.Rest["data_dir"] = filepath.Join(s.dir, "data")
	cfg.NATS.Port, cfg.NATS.Sign.KeyFile = ports[2], key
	out, err := yaml.Marshal(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.config = testkit.WriteFile(t, s.dir, "hookgate.yaml", string(out))
	s.natsURL = fmt.Sprintf("nats://127.0.0.1:%d", ports[2])

	s.gateway = startProcess(t, "hookgate serve", nil, hookgate, "serve", "-config", s.config)
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[1])
	code, client := 0, &http.Client{Timeout: 10 * time.Second}
	testkit.WaitFor(t, 60*time.Second, func() string { return fmt.Sprintf("GET /readyz: %d\n%s", code, s.gateway) }, func() bool {
		if s.gateway.exited() {
			t.Fatalf("hookgate serve exited: %v\n%s", s.gateway.err, s.gateway)
		}
		resp, err := client.Get(readyz)
		if err != nil {
			return false
		}
		resp.Body.Close()
		code = resp.StatusCode
		return code == http.StatusOK
	})
	_, s.js = testkit.JetStream(t, s.natsURL)
	return s
}

// startConsumer starts the example consumer with the gateway's public key
// and the stack's SQLite file, and waits until it has subscribed. Its
// stdout goes to stdout if not nil.
func (s *stack) startConsumer(t *testing.T, stdout *os.File, args ...string) *process {
	t.Helper()
	args = append([]string{"-nats", s.natsURL, "-verify-key", s.pubKey, "-db", filepath.Join(s.dir, "payments.db")}, args...)
	p := startProcess(t, "consumer", stdout, s.consumer, args...)
	p.waitStderr(t, "msg=consuming")
	return p
}

// command is a command that is killed if it runs for more than a minute.
func command(t *testing.T, bin string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return exec.CommandContext(ctx, bin, args...)
}

// send runs `hookgate send` for the stripe provider with args, and fails
// the test unless the gateway accepted the event.
func (s *stack) send(t *testing.T, args ...string) {
	t.Helper()
	args = append([]string{"send", "-config", s.config, "-provider", "stripe"}, args...)
	out, err := command(t, s.hookgate, args...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "202 Accepted") {
		t.Fatalf("hookgate %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// sendBody sends body as it is (`hookgate send -body`).
func (s *stack) sendBody(t *testing.T, name, body string) {
	t.Helper()
	s.send(t, "-body", testkit.WriteFile(t, s.dir, name+".json", body))
}

// sendPayment sends a Stripe event about a payment intent.
func (s *stack) sendPayment(t *testing.T, id, typ, payment string, created, amount int) {
	t.Helper()
	s.sendBody(t, id, fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"created":%d,"data":{"object":{"id":%q,"object":"payment_intent","amount":%d,"currency":"eur"}}}`,
		id, typ, created, payment, amount))
}

// publishForged publishes an event straight to the gateway's stream, as
// the gateway would, but signed with a key of its own.
func (s *stack) publishForged(t *testing.T, id string) {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg("webhooks.stripe.x")
	m.Data = fmt.Appendf(nil, `{"id":%q,"type":"x","created":100,"data":{"object":{"id":"pi_forged","amount":99900}}}`, id)
	for k, v := range map[string]string{"Nats-Msg-Id": "stripe:" + id, "Hookgate-Provider": "stripe", "Hookgate-Event-Id": id,
		"Hookgate-Event-Type": "x", "Hookgate-Ordering-Key": "pi_forged", "Content-Type": "application/json"} {
		m.Header.Set(k, v)
	}
	m.Header.Set(bussig.Header, bussig.NewSigner(key).Sign("stripe:"+id, m.Subject, m.Header, m.Data))
	if _, err := s.js.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

// waitSettled waits until the consumer has acknowledged every message,
// the table holds rows rows and the dead-letter stream dead messages.
func (s *stack) waitSettled(t *testing.T, c *process, rows, dead int) {
	t.Helper()
	var info *jetstream.ConsumerInfo
	var have, haveDead int
	testkit.WaitFor(t, 90*time.Second, func() string {
		return fmt.Sprintf("%d rows (want %d), %d dead letters (want %d), consumer %+v\n%s\n%s", have, rows, haveDead, dead, info, c, s.gateway)
	}, func() bool {
		if c.exited() {
			t.Fatalf("the consumer exited: %v\n%s", c.err, c)
		}
		info = s.consumerInfo(t)
		have, haveDead = len(s.rows(t)), len(s.deadLetters(t))
		return info.NumPending == 0 && info.NumAckPending == 0 && have >= rows && haveDead >= dead
	})
	if have != rows || haveDead != dead {
		t.Fatalf("%d rows (want %d), %d dead letters (want %d)", have, rows, haveDead, dead)
	}
}

func (s *stack) consumerInfo(t *testing.T) *jetstream.ConsumerInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := s.js.Consumer(ctx, "WEBHOOKS", "payments")
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// deadLetters returns the headers of the dead letters, by the original
// message ID.
func (s *stack) deadLetters(t *testing.T) map[string]nats.Header {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := s.js.Stream(ctx, consume.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]nats.Header{}
	for seq := uint64(1); seq <= st.CachedInfo().State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		out[m.Header.Get(consume.HeaderDeadMsgID)] = m.Header
	}
	return out
}

// row is a row of the consumer's table.
type row struct {
	event, provider, typ, payment, version string
	amount                                 int64
}

// sortedRows returns rows sorted by event ID.
func sortedRows(rows []row) []row {
	return slices.SortedFunc(slices.Values(rows), func(a, b row) int { return strings.Compare(a.event, b.event) })
}

func isEvent(id string) func(row) bool { return func(r row) bool { return r.event == id } }

// db is the consumer's SQLite file, opened beside the consumer.
func (s *stack) db(t *testing.T) *sql.DB {
	s.dbOnce.Do(func() {
		db, err := sql.Open("sqlite3", "file:"+filepath.Join(s.dir, "payments.db")+"?_busy_timeout=10000")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s.sqlDB = db
	})
	return s.sqlDB
}

// rows returns the consumer's table, in the order recorded.
func (s *stack) rows(t *testing.T) []row {
	t.Helper()
	rs, err := s.db(t).Query(`SELECT event_id, provider, type, payment, version, amount FROM payments ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.event, &r.provider, &r.typ, &r.payment, &r.version, &r.amount); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// fullPipe returns the write end of a pipe that holds all it can: a
// process given it as stdout blocks on its first write. The read end stays
// open (closed, it would kill the writer with SIGPIPE) until the test ends.
func fullPipe(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	rc, err := w.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	// The pipe is non-blocking: write pages, then single bytes, until it
	// takes no more.
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for _, chunk := range [][]byte{make([]byte, 4096), {0}} {
			for {
				_, err := syscall.Write(int(fd), chunk)
				if errors.Is(err, syscall.EAGAIN) {
					break
				}
				if err != nil && !errors.Is(err, syscall.EINTR) {
					werr = err
					return true
				}
			}
		}
		return true
	})
	if err != nil || werr != nil {
		t.Fatalf("fill the pipe: %v, %v", err, werr)
	}
	return w
}

// process is a running child process; the test keeps the lines of its
// stderr, and of its stdout unless it writes to a file of the test's.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited; err is then Wait's
	err  error

	mu             sync.Mutex
	stdout, stderr []string
}

// startProcess starts bin with args; its stdout goes to stdout if not
// nil. It is killed, if still running, when the test ends.
func startProcess(t *testing.T, name string, stdout *os.File, bin string, args ...string) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	var pipes []io.Reader
	var lines []*[]string
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	pipes, lines = append(pipes, errPipe), append(lines, &p.stderr)
	if stdout != nil {
		p.cmd.Stdout = stdout
	} else {
		outPipe, err := p.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		pipes, lines = append(pipes, outPipe), append(lines, &p.stdout)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill(t) })
	var readers sync.WaitGroup
	for i, r := range pipes {
		readers.Go(func() {
			sc := bufio.NewScanner(r)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				p.mu.Lock()
				*lines[i] = append(*lines[i], sc.Text())
				p.mu.Unlock()
			}
		})
	}
	go func() {
		readers.Wait() // before Wait, which closes the pipes
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill kills the process with SIGKILL, if it runs, and waits for its end.
func (p *process) kill(t *testing.T) {
	if !p.exited() {
		p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Errorf("%s (pid %d) did not end within 60s of SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

// stop sends SIGTERM and fails the test unless the process exits 0 within
// 60s, having logged its graceful stop.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s still running 60s after SIGTERM\n%s", p.name, p)
	}
	if p.err != nil || !strings.Contains(p.String(), "msg=stopping") {
		t.Errorf("%s after SIGTERM: %v; want exit 0 after a graceful stop\n%s", p.name, p.err, p)
	}
}

// waitStderr waits until the process has logged a line holding substr.
func (p *process) waitStderr(t *testing.T, substr string) {
	t.Helper()
	testkit.WaitFor(t, 60*time.Second, func() string { return fmt.Sprintf("%s logged no %q\n%s", p.name, substr, p) }, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return slices.ContainsFunc(p.stderr, func(l string) bool { return strings.Contains(l, substr) })
	})
}

// recordedLine is a line the consumer printed for an event it recorded.
type recordedLine struct {
	Msg, Event, Type, Payment, Version string
	Amount                             int64
	Attempt                            int
}

// recorded parses the lines the process printed on stdout.
func (p *process) recorded(t *testing.T) []recordedLine {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []recordedLine
	for _, l := range p.stdout {
		var r recordedLine
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.Msg != "recorded" {
			t.Fatalf("%s printed %q; want a JSON line with \"msg\":\"recorded\" (%v)", p.name, l, err)
		}
		out = append(out, r)
	}
	return out
}

// String returns the last lines the process logged.
func (p *process) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("--- %s stderr:\n%s", p.name, strings.Join(p.stderr[max(0, len(p.stderr)-60):], "\n"))
}

var (
	buildOnce          sync.Once
	binDir             string
	buildErr           error
	consumerBuildFlags []string // -race with -race (race_test.go)
)

// mustBuild builds hookgate and the consumer once per test run and
// returns their paths.
func mustBuild(tb testing.TB) (hookgate, consumer string) {
	tb.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "consumer-example-"); buildErr != nil {
			return
		}
		for _, args := range [][]string{
			{"build", "-o", filepath.Join(binDir, "hookgate"), "github.com/hookgate/hookgate/cmd/hookgate"},
			slices.Concat([]string{"build"}, consumerBuildFlags, []string{"-o", filepath.Join(binDir, "consumer"), "."}),
		} {
			if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return filepath.Join(binDir, "hookgate"), filepath.Join(binDir, "consumer")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
