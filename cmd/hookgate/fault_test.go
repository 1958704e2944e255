package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/verify"
)

// The fault tests run a load of distinct signed events from concurrent
// clients against a real gateway (SQLite file, NATS server with JetStream),
// break something mid-load, and then read the whole stream to check the
// promise: every accepted event is on the stream exactly once, nothing that
// got a non-2xx answer is, and no entity's versions go backwards.

const faultSecret = "whsec_fault_tests"

// faultScale multiplies the size of the crash and outage loads; `make
// faults` runs them longer with HOOKGATE_FAULT_SCALE=10.
func faultScale() int {
	if n, err := strconv.Atoi(os.Getenv("HOOKGATE_FAULT_SCALE")); err == nil && n > 0 {
		return n
	}
	return 1
}

// faultSetup starts a NATS server the test can stop, and writes the config
// of a gateway on it that keeps its SQLite file in dataDir, with storage
// in its storage section.
func faultSetup(tb testing.TB, storage string) (ns *testkit.NATS, dataDir, cfg string) {
	tb.Helper()
	ns, dataDir = testkit.StartNATS(tb), tb.TempDir()
	cfg = testkit.WriteFile(tb, tb.TempDir(), "config.yaml", testkit.GatewayYAML(dataDir,
		"storage: {"+storage+"}",
		fmt.Sprintf("nats: {url: %q, create_stream: true}", ns.URL()),
		"http: {shutdown_timeout: 2s}",
		shopProvider("created")))
	return ns, dataDir, cfg
}

// startMain runs the serve command in-process on a config file.
func startMain(tb testing.TB, cfgPath string) *Main {
	tb.Helper()
	m := NewMain(io.Discard, io.Discard)
	if err := m.ParseFlags([]string{"-config", cfgPath, "-log-level", "error"}); err != nil {
		tb.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// loadEvent is one distinct event of a load.
type loadEvent struct {
	id      string
	entity  string
	version int64
}

func (e loadEvent) body() []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":"load.test","created":%d,"data":{"object":{"id":%q}}}`, e.id, e.version, e.entity)
}

// makeEvents makes n events spread over entities, each entity's versions
// 1, 2, 3, ..., in a shuffled order.
func makeEvents(n, entities int, seed uint64) []loadEvent {
	evs := make([]loadEvent, n)
	next := make([]int64, entities)
	for i := range evs {
		e := i % entities
		next[e]++
		evs[i] = loadEvent{id: fmt.Sprintf("evt_%d", i), entity: fmt.Sprintf("ent_%d", e), version: next[e]}
	}
	r := rand.New(rand.NewPCG(seed, 7))
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	return evs
}

// Outcomes of one delivery as the client saw it.
const (
	outAccepted  = "accepted"
	outDuplicate = "duplicate"
	outStale     = "stale"
	outUnknown   = "unknown" // no answer: the connection failed
)

// postEvent posts one signed event and returns what the client saw: the
// status of the JSON answer, "rejected <code>", or outUnknown.
func postEvent(client *http.Client, base func() string, e loadEvent) string {
	body := e.body()
	vr := &verify.Request{Method: "POST", Header: http.Header{}, Body: body}
	if err := verify.Sign("stripe", vr, verify.Options{Secrets: []string{faultSecret}}, time.Now()); err != nil {
		panic(err)
	}
	req, err := http.NewRequest("POST", base()+"/webhooks/shop", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header = vr.Header
	resp, err := client.Do(req)
	// A refused connection never reached a gateway (it is down, or
	// restarting): send again, as a provider would, until one answers.
	for deadline := time.Now().Add(30 * time.Second); refusedDial(err) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		req, _ = http.NewRequest("POST", base()+"/webhooks/shop", bytes.NewReader(body))
		req.Header = vr.Header
		resp, err = client.Do(req)
	}
	if err != nil {
		return outUnknown
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
			return "rejected 503 without Retry-After"
		}
		return "rejected " + strconv.Itoa(resp.StatusCode)
	}
	var out struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return outUnknown
	}
	return out.Status
}

// refusedDial reports whether err is a connection that was refused: the
// request reached no server.
func refusedDial(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// runLoad delivers every event once from conc clients and returns the
// outcome of each, by index. progress counts finished deliveries.
func runLoad(base func() string, evs []loadEvent, conc int, progress *atomic.Int64) []string {
	return runLoadUntil(base, evs, conc, progress, nil)
}

// runLoadUntil is runLoad that sends no further event once stop is closed:
// it returns the outcomes of the events sent, evs[:len(outcomes)].
func runLoadUntil(base func() string, evs []loadEvent, conc int, progress *atomic.Int64, stop <-chan struct{}) []string {
	client := &http.Client{
		Timeout:   15 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc},
	}
	defer client.CloseIdleConnections()
	out := make([]string, len(evs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := int(next.Add(1)) - 1
				if i >= len(evs) {
					return
				}
				out[i] = postEvent(client, base, evs[i])
				if progress != nil {
					progress.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return out[:min(int(next.Load()), len(evs))]
}

// waitProgress blocks until at least n deliveries finished.
func waitProgress(tb testing.TB, p *atomic.Int64, n int64) {
	tb.Helper()
	testkit.WaitFor(tb, 60*time.Second, func() string { return fmt.Sprintf("load stalled at %d of %d deliveries", p.Load(), n) },
		func() bool { return p.Load() >= n })
}

// waitDrained waits until the gateway's outbox is empty.
func waitDrained(tb testing.TB, dataDir string) {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dataDir, "hookgate.db")+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int
	testkit.WaitFor(tb, 60*time.Second, func() string { return fmt.Sprintf("outbox not drained: %d rows, %v", n, err) }, func() bool {
		err = db.QueryRow(`SELECT count(*) FROM outbox`).Scan(&n)
		return err == nil && n == 0
	})
}

// streamMsg is what the check needs of one stored message.
type streamMsg struct {
	msgID   string
	entity  string
	version int64
}

// readStream reads every event of the WEBHOOKS stream in order. On a
// cluster the JetStream API may not answer for a moment (a leader
// election on a busy machine): the read is made again until it succeeds.
func readStream(tb testing.TB, natsURL string) []streamMsg {
	tb.Helper()
	_, js := testkit.JetStream(tb, natsURL)
	var (
		out []streamMsg
		err error
	)
	testkit.WaitFor(tb, 60*time.Second, func() string { return fmt.Sprintf("read stream WEBHOOKS: %v", err) }, func() bool {
		out, err = tryReadStream(js)
		return err == nil
	})
	return out
}

// tryReadStream reads the events' subjects only: with storage.backend
// jetstream the stream holds claims and versions too.
func tryReadStream(js jetstream.JetStream) ([]streamMsg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		return nil, err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter("webhooks.>"))
	if err != nil {
		return nil, err
	}
	total := 0
	for _, n := range info.State.Subjects {
		total += int(n)
	}
	out := make([]streamMsg, 0, total)
	if total == 0 {
		return out, nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"webhooks.>"}})
	if err != nil {
		return nil, err
	}
	for len(out) < total {
		batch, err := cons.Fetch(min(500, total-len(out)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, err
		}
		got := 0
		for m := range batch.Messages() {
			v, _ := strconv.ParseInt(m.Headers().Get("Hookgate-Ordering-Version"), 10, 64)
			out = append(out, streamMsg{
				msgID:   m.Headers().Get("Nats-Msg-Id"),
				entity:  m.Headers().Get("Hookgate-Ordering-Key"),
				version: v,
			})
			got++
		}
		if err := batch.Error(); err != nil {
			return nil, err
		}
		if got == 0 {
			return nil, fmt.Errorf("read %d of %d events", len(out), total)
		}
	}
	return out, nil
}

// checkStream asserts the promise for a load: accepted events exactly
// once, refused ones never, answers with no status (a killed connection) at
// most once, nothing that was not sent, and no entity going backwards. It
// returns how many events each outcome had, for the test's own checks.
func checkStream(tb testing.TB, evs []loadEvent, outcomes []string, msgs []streamMsg) map[string]int {
	tb.Helper()
	seen := map[string]int{}
	last := map[string]int64{}
	for _, m := range msgs {
		seen[m.msgID]++
		if v, ok := last[m.entity]; ok && m.version < v {
			tb.Errorf("entity %s went back from version %d to %d on the stream", m.entity, v, m.version)
		}
		last[m.entity] = m.version
	}
	sent := map[string]bool{}
	counts := map[string]int{}
	for i, e := range evs {
		id := "shop:" + e.id
		sent[id] = true
		counts[outcomes[i]]++
		n := seen[id]
		switch o := outcomes[i]; {
		case o == outAccepted && n != 1:
			tb.Errorf("event %s was accepted and is on the stream %d times; want 1", e.id, n)
		case (o == outStale || len(o) > 8 && o[:8] == "rejected") && n != 0:
			tb.Errorf("event %s got %q and is on the stream %d times; want 0", e.id, o, n)
		case (o == outUnknown || o == outDuplicate) && n > 1:
			tb.Errorf("event %s (%s) is on the stream %d times; want at most 1", e.id, o, n)
		}
	}
	for id := range seen {
		if !sent[id] {
			tb.Errorf("the stream holds %s, which was never sent", id)
		}
	}
	tb.Logf("outcomes: %v; stream messages: %d", counts, len(msgs))
	return counts
}

// TestFaultNATSOutage stops the NATS server for a few seconds mid-load and
// starts it again with its store: the gateway keeps accepting into the
// outbox and the relay delivers everything once it is back.
func TestFaultNATSOutage(t *testing.T) {
	ns, dataDir, cfg := faultSetup(t, "")
	base := baseURL(startMain(t, cfg))
	evs := makeEvents(3000*faultScale(), 300, 1)

	var progress atomic.Int64
	done := make(chan []string)
	go func() { done <- runLoad(base, evs, 16, &progress) }()
	waitProgress(t, &progress, 800)
	ns.Stop()
	atStop := progress.Load()
	time.Sleep(2 * time.Second) // the outage's length, not a wait for something
	duringOutage := progress.Load() - atStop
	ns.Start()
	outcomes := <-done
	if duringOutage == 0 {
		t.Error("no delivery finished while NATS was down; the outage did not overlap the load")
	}
	t.Logf("%d deliveries finished while NATS was down", duringOutage)

	waitDrained(t, dataDir)
	counts := checkStream(t, evs, outcomes, readStream(t, ns.URL()))
	if counts[outAccepted] == 0 || counts[outAccepted]+counts[outStale] != len(evs) {
		t.Errorf("outcomes %v; want every event accepted or stale (the outbox absorbs the outage)", counts)
	}
}

// TestFaultConcurrentDuplicates delivers one event from 50 clients at once:
// exactly one 202, 49 duplicates, one message.
func TestFaultConcurrentDuplicates(t *testing.T) {
	ns, dataDir, cfg := faultSetup(t, "")
	base := baseURL(startMain(t, cfg))
	evs := make([]loadEvent, 50)
	for i := range evs {
		evs[i] = loadEvent{id: "evt_same", entity: "ent_1", version: 1}
	}
	outcomes := runLoad(base, evs, 50, nil)
	counts := map[string]int{}
	for _, o := range outcomes {
		counts[o]++
	}
	if counts[outAccepted] != 1 || counts[outDuplicate] != 49 {
		t.Fatalf("outcomes %v; want 1 accepted and 49 duplicate", counts)
	}
	waitDrained(t, dataDir)
	if msgs := readStream(t, ns.URL()); len(msgs) != 1 || msgs[0].msgID != "shop:evt_same" {
		t.Fatalf("stream = %+v; want the one event once", msgs)
	}
}

// TestFaultShuffledVersions sends 1,000 entities' versions in a shuffled
// order: nothing older than a forwarded version is forwarded after it, and
// every entity's last version is on the stream.
func TestFaultShuffledVersions(t *testing.T) {
	ns, dataDir, cfg := faultSetup(t, "")
	base := baseURL(startMain(t, cfg))
	evs := makeEvents(3000, 1000, 2)
	outcomes := runLoad(base, evs, 16, nil)
	waitDrained(t, dataDir)
	msgs := readStream(t, ns.URL())
	checkStream(t, evs, outcomes, msgs)
	lastSent := map[string]int64{}
	for _, e := range evs {
		lastSent[e.entity] = max(lastSent[e.entity], e.version)
	}
	onStream := map[string]int64{}
	for _, m := range msgs {
		onStream[m.entity] = max(onStream[m.entity], m.version)
	}
	if len(lastSent) != 1000 {
		t.Fatalf("%d entities sent; want 1000", len(lastSent))
	}
	for ent, v := range lastSent {
		if onStream[ent] != v {
			t.Errorf("entity %s: last version on the stream %d; want %d", ent, onStream[ent], v)
		}
	}
}

// TestFaultOutboxBound fills the outbox while NATS is down: past the bound
// the gateway answers 503 with Retry-After and records nothing, and it
// accepts again once NATS has drained the outbox.
func TestFaultOutboxBound(t *testing.T) {
	ns, dataDir, cfg := faultSetup(t, "outbox_max_rows: 50")
	base := baseURL(startMain(t, cfg))
	ns.Stop()
	evs := makeEvents(120, 120, 3) // one version per entity: none is stale
	outcomes := runLoad(base, evs, 4, nil)
	counts := map[string]int{}
	for _, o := range outcomes {
		counts[o]++
	}
	if counts[outAccepted] != 50 || counts["rejected 503"] != 70 {
		t.Fatalf("outcomes with NATS down %v; want 50 accepted and 70 rejected 503 (with Retry-After)", counts)
	}
	ns.Start()
	waitDrained(t, dataDir)
	more := makeEvents(20, 20, 4)
	for i := range more {
		more[i].id = "later_" + more[i].id
		more[i].entity = "later_" + more[i].entity
	}
	outcomesMore := runLoad(base, more, 4, nil)
	for i, o := range outcomesMore {
		if o != outAccepted {
			t.Fatalf("event %s after the drain: %s; want accepted", more[i].id, o)
		}
	}
	waitDrained(t, dataDir)
	checkStream(t, append(evs, more...), append(outcomes, outcomesMore...), readStream(t, ns.URL()))
}

// TestFaultStorageLocked takes the database's write lock from outside the
// gateway mid-load (as a backup tool would): requests that cannot commit get
// 503, never a 2xx, and the gateway recovers when the lock is released.
func TestFaultStorageLocked(t *testing.T) {
	ns, dataDir, cfg := faultSetup(t, "busy_timeout: 300ms")
	base := baseURL(startMain(t, cfg))
	// The load runs until the lock has come and gone: taking the lock waits
	// for a gap between the gateway's own write transactions, which a
	// fixed amount of load may never leave.
	evs := makeEvents(200000, 400, 5)
	var progress atomic.Int64
	stop := make(chan struct{})
	done := make(chan []string)
	go func() { done <- runLoadUntil(base, evs, 8, &progress, stop) }()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
	}()
	waitProgress(t, &progress, 300)

	locker, err := sql.Open("sqlite3", "file:"+filepath.Join(dataDir, "hookgate.db")+"?_busy_timeout=30000")
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	conn, err := locker.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	before := progress.Load()
	time.Sleep(1500 * time.Millisecond) // the lock held, as a backup would
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	locked := progress.Load() - before
	waitProgress(t, &progress, progress.Load()+300) // deliveries after the lock
	close(stop)
	t.Logf("%d deliveries finished while the database was locked", locked)
	outcomes := <-done
	evs = evs[:len(outcomes)]

	waitDrained(t, dataDir)
	counts := checkStream(t, evs, outcomes, readStream(t, ns.URL()))
	if counts["rejected 503"] == 0 {
		t.Errorf("outcomes %v; want some 503 while the database was locked", counts)
	}
	// The gateway recovered: the last deliveries were decided.
	tail := outcomes[len(outcomes)-50:]
	for _, o := range tail {
		if o != outAccepted && o != outStale {
			t.Fatalf("a delivery after the lock was released got %q; want accepted or stale", o)
		}
	}
}

// TestFaultSIGKILL kills the gateway process with SIGKILL mid-load and
// restarts it on the same data directory: what it acknowledged is
// delivered once, including what was still in the outbox at the kill.
func TestFaultSIGKILL(t *testing.T) {
	bin := mustBinary(t)
	ns, dataDir, cfg := faultSetup(t, "")
	var addr atomic.Value
	addr.Store("127.0.0.1:1")
	base := func() string { return "http://" + addr.Load().(string) }

	g := startBinary(t, bin, cfg)
	addr.Store(g.addr)
	evs := makeEvents(3000*faultScale(), 300, 6)
	var progress atomic.Int64
	done := make(chan []string)
	go func() { done <- runLoad(base, evs, 16, &progress) }()
	waitProgress(t, &progress, 1000)
	if err := g.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	g.cmd.Wait()
	killedAt := progress.Load()
	g = startBinary(t, bin, cfg)
	addr.Store(g.addr)
	outcomes := <-done
	t.Logf("killed after %d deliveries", killedAt)

	waitDrained(t, dataDir)
	counts := checkStream(t, evs, outcomes, readStream(t, ns.URL()))
	if counts[outUnknown] == 0 {
		t.Errorf("outcomes %v; want some deliveries cut off by the kill", counts)
	}
	for _, o := range outcomes[len(outcomes)-50:] {
		if o != outAccepted && o != outStale {
			t.Fatalf("a delivery to the restarted gateway got %q; want accepted or stale", o)
		}
	}
	if err := g.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := g.cmd.Wait(); err != nil {
		t.Errorf("restarted gateway: exit after SIGINT: %v", err)
	}
}

// TestFaultShutdownWithNATSDown shuts the gateway down while NATS is down:
// shutdown ends within its deadline, the accepted events stay in the
// outbox, and the next start sends them.
func TestFaultShutdownWithNATSDown(t *testing.T) {
	ns, dataDir, cfg := faultSetup(t, "")
	m := startMain(t, cfg)
	base := baseURL(m)
	ns.Stop()
	evs := makeEvents(20, 20, 7)
	outcomes := runLoad(base, evs, 4, nil)
	for i, o := range outcomes {
		if o != outAccepted {
			t.Fatalf("event %s with NATS down: %s; want accepted", evs[i].id, o)
		}
	}
	start := time.Now()
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("shutdown with NATS down took %s", time.Since(start))
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dataDir, "hookgate.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.QueryRow(`SELECT count(*) FROM outbox`).Scan(&rows); err != nil || rows != 20 {
		t.Fatalf("outbox after shutdown = %d, %v; want the 20 accepted events", rows, err)
	}
	db.Close()

	ns.Start()
	startMain(t, cfg)
	waitDrained(t, dataDir)
	checkStream(t, evs, outcomes, readStream(t, ns.URL()))
}

// TestFaultSIGKILLRoutes is TestFaultSIGKILL with a route that copies
// every event: across the kill, the events keep the promise, and every
// accepted event's copy is on the stream exactly once (a crash between
// the decision and the publish loses and duplicates no copy).
func TestFaultSIGKILLRoutes(t *testing.T) {
	bin := mustBinary(t)
	ns, dataDir := testkit.StartNATS(t), t.TempDir()
	cfg := testkit.WriteFile(t, t.TempDir(), "config.yaml", testkit.GatewayYAML(dataDir,
		fmt.Sprintf("nats: {url: %q, create_stream: true}", ns.URL()),
		"http: {shutdown_timeout: 2s}",
		shopProvider("created"),
		"routes:\n  - name: copy\n    subject: \"webhooks.copy.{provider}\""))
	var addr atomic.Value
	g := startBinary(t, bin, cfg)
	addr.Store(g.addr)
	base := func() string { return "http://" + addr.Load().(string) }
	evs := makeEvents(2000*faultScale(), 200, 7)
	var progress atomic.Int64
	done := make(chan []string)
	go func() { done <- runLoad(base, evs, 16, &progress) }()
	waitProgress(t, &progress, 700)
	if err := g.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	g.cmd.Wait()
	g = startBinary(t, bin, cfg)
	addr.Store(g.addr)
	outcomes := <-done
	waitDrained(t, dataDir)

	var events []streamMsg
	copies := map[string]int{}
	for _, m := range readStream(t, ns.URL()) {
		if id, ok := strings.CutPrefix(m.msgID, "shop@copy:"); ok {
			copies["shop:"+id]++
			continue
		}
		events = append(events, m)
	}
	counts := checkStream(t, evs, outcomes, events)
	if counts[outUnknown] == 0 {
		t.Errorf("outcomes %v; want some deliveries cut off by the kill", counts)
	}
	for i, e := range evs {
		id := "shop:" + e.id
		switch n := copies[id]; {
		case outcomes[i] == outAccepted && n != 1:
			t.Errorf("event %s was accepted and its copy is on the stream %d times; want 1", e.id, n)
		case n > 1:
			t.Errorf("event %s (%s): its copy is on the stream %d times; want at most 1", e.id, outcomes[i], n)
		}
	}
	if err := g.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	g.cmd.Wait()
}
