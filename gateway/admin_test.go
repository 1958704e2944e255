package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/internal/testkit"
)

// mustServer opens a real gateway (temp SQLite, embedded NATS) on random
// ports with the given providers section.
func mustServer(tb testing.TB, extra, providers string) *Server {
	tb.Helper()
	admin := `admin: {listen: "127.0.0.1:0"}`
	if strings.Contains(extra, "admin:") {
		admin = "" // extra sets its own, on a random port
	}
	c := mustValid(tb, fmt.Sprintf(`
listen: 127.0.0.1:0
%s
data_dir: %s
nats: {port: -1}
%s
providers:
%s`, admin, tb.TempDir(), extra, providers))
	return mustOpen(tb, c)
}

// mustOpen opens a gateway on c; it is closed when the test ends.
func mustOpen(tb testing.TB, c *config.Config) *Server {
	tb.Helper()
	s, err := Open(context.Background(), c, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// waitPublished waits up to 10 s until the server's relay has published at
// least n messages; what says which ones, for the failure.
func waitPublished(tb testing.TB, s *Server, n uint64, what string) {
	tb.Helper()
	testkit.WaitFor(tb, 10*time.Second, func() string {
		return fmt.Sprintf("published %d; want %d: %s (max_payload %d)", s.relay.Stats().Published, n, what, s.maxPayload())
	}, func() bool { return s.relay.Stats().Published >= n })
}

// postTo sends req to the server's public listener.
func postTo(tb testing.TB, s *Server, req *http.Request) int {
	tb.Helper()
	return postRaw(tb, s, req).StatusCode
}

// adminGet gets path from s's admin listener: the status and the body.
func adminGet(tb testing.TB, s *Server, path string) (int, string) {
	tb.Helper()
	resp, err := http.Get("http://" + s.AdminAddr().String() + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// postRaw posts req to s and returns the whole response, body read and
// closed.
func postRaw(tb testing.TB, s *Server, req *http.Request) *http.Response {
	tb.Helper()
	req.RequestURI = ""
	req.URL.Scheme, req.URL.Host = "http", s.Addr().String()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// scrape reads /metrics into a map from "name{labels}" to value.
func scrape(tb testing.TB, s *Server) map[string]float64 {
	tb.Helper()
	resp, err := http.Get("http://" + s.AdminAddr().String() + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			tb.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestMetricsCountTheMix sends a scripted mix of requests and reads the
// counters back from /metrics.
func TestMetricsCountTheMix(t *testing.T) {
	s := mustServer(t, "", providerYAML("shop", "stripe", "whsec_old, whsec_new", "max_body: 2048", "ordering: {key: data.object.id, version: created}")+providerYAML("gh", "github", "s3cret"))
	now := time.Now()
	send := func(body, secret string, at time.Time) int {
		return postTo(t, s, stripeRequest(t, body, secret, at))
	}
	want := map[string]int{}
	mix := []struct {
		body, secret string
		at           time.Time
		status       int
	}{
		{stripeBody("e1", "t", "o1", 10), "whsec_new", now, 202},
		{stripeBody("e2", "t", "o1", 20), "whsec_old", now, 202},
		{stripeBody("e3", "t", "o2", 10), "whsec_new", now, 202},
		{stripeBody("e1", "t", "o1", 10), "whsec_new", now, 200},                // duplicate
		{stripeBody("e4", "t", "o1", 5), "whsec_new", now, 200},                 // stale
		{stripeBody("e5", "t", "o3", 1), "whsec_wrong", now, 401},               // mismatch
		{stripeBody("e6", "t", "o3", 1), "whsec_new", now.Add(-time.Hour), 401}, // too old
		{stripeBody("e7", "t", "o3", 1) + strings.Repeat(" ", 2100), "whsec_new", now, 413},
	}
	for i, m := range mix {
		if got := send(m.body, m.secret, m.at); got != m.status {
			t.Fatalf("request %d: status %d; want %d", i, got, m.status)
		}
	}
	unsigned, _ := http.NewRequest("POST", "/webhooks/shop", strings.NewReader(`{}`))
	if got := postTo(t, s, unsigned); got != 400 {
		t.Fatalf("unsigned request: %d; want 400", got)
	}
	want[`hookgate_requests_total{outcome="accepted",provider="shop"}`] = 3
	want[`hookgate_requests_total{outcome="duplicate",provider="shop"}`] = 1
	want[`hookgate_requests_total{outcome="stale",provider="shop"}`] = 1
	want[`hookgate_requests_total{outcome="rejected",provider="shop"}`] = 4
	want[`hookgate_rejections_total{provider="shop",reason="signature_mismatch"}`] = 1
	want[`hookgate_rejections_total{provider="shop",reason="timestamp_too_old"}`] = 1
	want[`hookgate_rejections_total{provider="shop",reason="body_too_large"}`] = 1
	want[`hookgate_rejections_total{provider="shop",reason="missing_signature"}`] = 1
	want[`hookgate_verify_failures_total{provider="shop",reason="signature_mismatch"}`] = 1
	want[`hookgate_verify_failures_total{provider="shop",reason="timestamp_too_old"}`] = 1
	want[`hookgate_verify_failures_total{provider="shop",reason="missing_signature"}`] = 1
	want[`hookgate_secret_matches_total{index="0",provider="shop"}`] = 1 // e2 (whsec_old)
	want[`hookgate_secret_matches_total{index="1",provider="shop"}`] = 4 // e1, e3, e1 again, e4 (not e6: a failed check reports no index)
	want[`hookgate_request_duration_seconds_count{provider="shop"}`] = 9

	got := scrape(t, s)
	for k, v := range want {
		if got[k] != float64(v) {
			t.Errorf("%s = %v; want %d", k, got[k], v)
		}
	}
	for k := range got {
		if strings.Contains(k, `provider="gh"`) {
			t.Errorf("metrics for a provider that got no request: %s", k)
		}
	}
	for _, k := range []string{"hookgate_outbox_rows", "hookgate_nats_connected", "hookgate_relay_published_total", "hookgate_sweeper_deleted_total"} {
		if _, ok := got[k]; !ok {
			t.Errorf("/metrics lacks %s", k)
		}
	}
	if got["hookgate_nats_connected"] != 1 {
		t.Errorf("hookgate_nats_connected = %v; want 1", got["hookgate_nats_connected"])
	}
	// The writer's batches: the five decided events (three accepted, a
	// duplicate, a stale one), each batch decided once, published when it
	// accepted an event; and at least one commit, at most one per batch (a
	// batch the stream took is answered before its commit, and its
	// transaction waits up to store.Writer.CommitDelay for the next
	// batches). A scrape may read one histogram before the writer's last
	// report and the next after it: read until they agree.
	stage := func(name string) float64 { return got[`hookgate_writer_stage_seconds_count{stage="`+name+`"}`] }
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if got["hookgate_writer_batch_events_sum"] == 5 && stage("decide") == got["hookgate_writer_batch_events_count"] && stage("commit") >= 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
		got = scrape(t, s)
	}
	batches := got["hookgate_writer_batch_events_count"]
	if got["hookgate_writer_batch_events_sum"] != 5 || batches < 1 || batches > 5 {
		t.Errorf("hookgate_writer_batch_events: %v events in %v batches; want 5 in 1 to 5", got["hookgate_writer_batch_events_sum"], batches)
	}
	if stage("decide") != batches || stage("publish") < 1 || stage("publish") > batches || stage("commit") < 1 || stage("commit") > batches {
		t.Errorf("writer stages decide %v, publish %v, commit %v over %v batches; want decide in each, publish and commit in 1 to all", stage("decide"), stage("publish"), stage("commit"), batches)
	}
	// The memory figures an operator sizes the process by: the live heap
	// (the gateway and its embedded NATS server hold more than a megabyte)
	// apart from the collector's headroom. Live is known after a collection.
	runtime.GC()
	got = scrape(t, s)
	if v := got["go_gc_heap_live_bytes"]; v < 1<<20 || v > got["process_resident_memory_bytes"] {
		t.Errorf("go_gc_heap_live_bytes = %v; want above 1 MiB and below RSS %v", v, got["process_resident_memory_bytes"])
	}
	if _, ok := got["go_gc_gogc_percent"]; !ok {
		t.Error("/metrics lacks go_gc_gogc_percent")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	s := mustServer(t, "", providerYAML("gh", "github", "s3cret"))
	get := func(path string) (int, string) { return adminGet(t, s, path) }
	if code, body := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d %q; want 200", code, body)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz = %d %q; want 200", code, body)
	}
	// Hold the database's write lock: not ready.
	conn, err := s.db.Write.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "database") {
			t.Errorf("/readyz with the database locked = %d %q; want 503 naming the database", code, body)
		}
	}()
	<-done
	conn.Close()
	s.closing.Store(true)
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "shutting down") {
		t.Errorf("/readyz while closing = %d %q; want 503 shutting down", code, body)
	}
}

// TestNotReadyWhenTheOutboxIsFull: a stream that refuses every message
// while NATS stays connected (here: full, discard new) fills the outbox;
// at its bound every event gets 503, and /readyz says so too, so that a
// load balancer sends them to another gateway.
func TestNotReadyWhenTheOutboxIsFull(t *testing.T) {
	s := mustServer(t, "storage: {outbox_max_rows: 2}", providerYAML("shop", "stripe", "whsec_new"))
	nc, err := nats.Connect(s.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	stream, err := js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	cfg := stream.CachedInfo().Config
	cfg.MaxMsgs, cfg.Discard = 1, jetstream.DiscardNew
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	var codes []int
	for i := range 4 {
		body := fmt.Sprintf(`{"id":"evt_%d","type":"invoice.paid"}`, i)
		codes = append(codes, postTo(t, s, stripeRequest(t, body, "whsec_new", time.Now())))
	}
	if codes[0] != 202 || codes[3] != 503 {
		t.Fatalf("posts answered %v; want 202 first (stored), 503 last (the outbox at its bound)", codes)
	}
	if !s.nc.IsConnected() {
		t.Fatal("NATS disconnected: the test wants a connected NATS that refuses")
	}
	if code, body := adminGet(t, s, "/readyz"); code != 503 || !strings.Contains(body, "outbox") {
		t.Errorf("/readyz with the outbox at its bound = %d %q; want 503 naming the outbox", code, body)
	}
	cfg.MaxMsgs = -1
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 20*time.Second, testkit.Says("/readyz not ready once the stream takes messages again"), func() bool {
		code, _ := adminGet(t, s, "/readyz")
		return code == 200
	})
}
