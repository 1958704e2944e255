package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/jsstore"
)

// backendConfig is a gateway on natsURL with storage.backend set.
func backendConfig(tb testing.TB, natsURL, backend, nats string) *config.Config {
	return mustValid(tb, testkit.GatewayYAML(tb.TempDir(), fmt.Sprintf(`storage: {backend: %s}
nats: {url: %q, create_stream: true%s}
http: {shutdown_timeout: 1s}`, backend, natsURL, nats),
		"providers:"+providerYAML("shop", "stripe", "whsec_a", "ordering: {key: data.object.id, version: created}")))
}

// TestJetStreamBackend: with storage.backend jetstream the decisions live
// in the stream: an event is on it as soon as it is answered 202 (the
// outbox and the SQLite tables stay empty), a retry is a duplicate, an
// older version is stale, and /readyz follows the stream: a stopped
// server makes it 503 and the requests 503 with Retry-After, recording
// nothing.
func TestJetStreamBackend(t *testing.T) {
	ns := testkit.StartNATS(t)
	s := mustOpen(t, backendConfig(t, ns.URL(), "jetstream", ""))
	post := func(id string, created int64) int {
		return postTo(t, s, stripeRequest(t, stripeBody(id, "order.paid", "ord_1", created), "whsec_a", time.Now()))
	}
	for _, c := range []struct {
		name   string
		id     string
		ver    int64
		status int
	}{
		{"new", "evt_2", 2, 202},
		{"retry", "evt_2", 2, 200},
		{"older version", "evt_1", 1, 200},
		{"newer version", "evt_3", 3, 202},
	} {
		if got := post(c.id, c.ver); got != c.status {
			t.Errorf("%s: %d; want %d", c.name, got, c.status)
		}
	}
	st := testkit.Stream(t, ns.URL(), forward.DefaultStreamName)
	if n := testkit.SubjectCount(t, st, "webhooks.>"); n != 2 {
		t.Errorf("%d events on the stream right after the answers; want 2", n)
	}
	if n := testkit.SubjectCount(t, st, jsstore.ClaimPrefix+".>"); n != 3 {
		t.Errorf("%d claims on the stream; want 3 (the stale event's too)", n)
	}
	for _, table := range []string{"processed_events", "outbox"} {
		var n int
		if err := s.db.Read.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s holds %d rows (%v); want none with the jetstream backend", table, n, err)
		}
	}
	get := func(path string) (int, string) { return adminGet(t, s, path) }
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz = %d %q; want 200", code, body)
	}

	ns.Stop()
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "stream") {
		t.Errorf("/readyz with NATS stopped = %d %q; want 503 naming the stream", code, body)
	}
	resp := postRaw(t, s, stripeRequest(t, stripeBody("evt_4", "order.paid", "ord_1", 4), "whsec_a", time.Now()))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("an event with NATS stopped: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	ns.Start()
	testkit.WaitFor(t, 20*time.Second, func() string { return "/readyz still not ready after NATS came back" }, func() bool {
		code, _ := get("/readyz")
		return code == 200
	})
	if got := post("evt_4", 4); got != 202 {
		t.Errorf("evt_4 after NATS came back: %d; want 202 (nothing was recorded by the 503)", got)
	}
	if n := testkit.SubjectCount(t, testkit.Stream(t, ns.URL(), forward.DefaultStreamName), "webhooks.>"); n != 3 {
		t.Errorf("%d events on the stream; want 3", n)
	}
}

// TestJetStreamBackendStream: against a stream made without the
// decisions' features, serve refuses to start when it may not change the
// stream, naming what is missing and how to fix it; allowed to, it adds
// the features and the internal subjects and keeps the stream's own.
func TestJetStreamBackendStream(t *testing.T) {
	ns := testkit.StartNATS(t)
	_, js := testkit.JetStream(t, ns.URL())
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: forward.DefaultStreamName, Subjects: []string{"webhooks.>"}}); err != nil {
		t.Fatal(err)
	}
	cfg := backendConfig(t, ns.URL(), "jetstream", "")
	no := false
	cfg.NATS.CreateStream = &no
	_, err := Open(ctx, cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, jsstore.ErrUnsupported) {
		t.Fatalf("Open on a plain stream = %v; want jsstore.ErrUnsupported", err)
	}
	for _, want := range []string{"storage.backend jetstream", "atomic batch publish", "the subject _hg.claim.>", "nats.create_stream: true"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open on a plain stream = %v; want it to name %q", err, want)
		}
	}

	s, err := Open(ctx, backendConfig(t, ns.URL(), "jetstream", ""), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Open allowed to update the stream: %v", err)
	}
	defer s.Close(ctx)
	st, err := js.Stream(ctx, forward.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	got := st.CachedInfo().Config
	if err := jsstore.Check(got, 0); err != nil {
		t.Errorf("stream after Open: %v", err)
	}
	if !slices.Contains(got.Subjects, "webhooks.>") {
		t.Errorf("stream subjects %q lost webhooks.>", got.Subjects)
	}
	if code := postTo(t, s, stripeRequest(t, stripeBody("evt_1", "t", "o", 1), "whsec_a", time.Now())); code != 202 {
		t.Errorf("an event: %d; want 202", code)
	}
}

// TestBackendSwitchKeepsOutbox: events a sqlite gateway accepted while
// NATS was down wait in its outbox; the same data_dir started with the
// jetstream backend sends them, so switching loses nothing.
func TestBackendSwitchKeepsOutbox(t *testing.T) {
	ns := testkit.StartNATS(t)
	cfg := backendConfig(t, ns.URL(), "sqlite", "")
	s, err := Open(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ns.Stop()
	for i := range 5 {
		if code := postTo(t, s, stripeRequest(t, stripeBody(fmt.Sprintf("evt_%d", i), "t", fmt.Sprintf("o_%d", i), 1), "whsec_a", time.Now())); code != 202 {
			t.Fatalf("event %d with NATS down: %d; want 202 (into the outbox)", i, code)
		}
	}
	s.Close(context.Background())
	ns.Start()

	next := backendConfig(t, ns.URL(), "jetstream", "")
	next.DataDir = cfg.DataDir
	s, err = Open(context.Background(), next, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	st := testkit.Stream(t, ns.URL(), forward.DefaultStreamName)
	testkit.WaitFor(t, 20*time.Second, func() string { return "the outbox left by the sqlite backend was not sent" }, func() bool {
		rows, _ := s.outbox.Load()
		return testkit.SubjectCount(t, st, "webhooks.>") == 5 && rows == 0
	})
}

// TestJetStreamBackendOldServer: a NATS server older than 2.12 (here a
// stand-in that only says hello as nats-server 2.10.22) is refused before
// the stream is touched, with an error naming the version needed.
func TestJetStreamBackendOldServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fmt.Fprintf(c, "INFO {\"server_id\":\"old\",\"version\":\"2.10.22\",\"proto\":1,\"headers\":true,\"max_payload\":8388608,\"jetstream\":true}\r\n")
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					if strings.HasPrefix(sc.Text(), "PING") {
						io.WriteString(c, "PONG\r\n")
					}
				}
			}()
		}
	}()
	cfg := backendConfig(t, "nats://"+ln.Addr().String(), "jetstream", "")
	_, err = Open(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, jsstore.ErrUnsupported) || !strings.Contains(err.Error(), "2.10.22") || !strings.Contains(err.Error(), jsstore.MinServer) {
		t.Fatalf("Open against nats-server 2.10.22 = %v; want jsstore.ErrUnsupported naming the version and %s", err, jsstore.MinServer)
	}
}

// TestJetStreamBackendFullStream: with the jetstream backend a stream at
// nats.max_bytes refuses new messages rather than dropping its oldest
// (live claims): new events get 503 with Retry-After and leave no claim,
// while retries of stored events are still answered as duplicates.
func TestJetStreamBackendFullStream(t *testing.T) {
	ns := testkit.StartNATS(t)
	s := mustOpen(t, backendConfig(t, ns.URL(), "jetstream", ", max_bytes: 16384"))
	st := testkit.Stream(t, ns.URL(), forward.DefaultStreamName)
	if got := st.CachedInfo().Config.Discard; got != jetstream.DiscardNew {
		t.Fatalf("stream discard policy %v; want new", got)
	}
	send := func(i int) *http.Response {
		body := stripeBody(fmt.Sprintf("evt_%d", i), "t", fmt.Sprintf("o_%d", i), 1)
		body = body[:len(body)-1] + `,"pad":"` + strings.Repeat("x", 1000) + `"}`
		return postRaw(t, s, stripeRequest(t, body, "whsec_a", time.Now()))
	}
	full := -1
	for i := range 64 {
		resp := send(i)
		if resp.StatusCode == 202 {
			continue
		}
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("event %d: %d, Retry-After %q; want 202 until the stream is full, then 503 with Retry-After", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		full = i
		break
	}
	if full <= 0 {
		t.Fatalf("the stream was never full (or full at once): %d", full)
	}
	claims := testkit.SubjectCount(t, st, jsstore.ClaimPrefix+".>")
	if claims != full {
		t.Errorf("%d claims after %d accepted events and one refused; want %d (the refused one left none)", claims, full, full)
	}
	if resp := send(0); resp.StatusCode != 200 {
		t.Errorf("a retry of a stored event on the full stream: %d; want 200 (duplicate)", resp.StatusCode)
	}
}

// TestJetStreamBackendEmbedded: the jetstream backend on the embedded
// server (one node): the stream is made with what the decisions need, an
// event is on it when answered, and its retry is a duplicate.
func TestJetStreamBackendEmbedded(t *testing.T) {
	s := mustServer(t, "storage: {backend: jetstream}", "  - {name: shop, type: stripe, secrets: [whsec_a]}\n")
	for _, want := range []int{202, 200} {
		if code := postTo(t, s, stripeRequest(t, stripeBody("evt_1", "t", "o", 1), "whsec_a", time.Now())); code != want {
			t.Errorf("evt_1: %d; want %d", code, want)
		}
	}
	st := testkit.Stream(t, s.NATSURL(), forward.DefaultStreamName)
	if err := jsstore.Check(st.CachedInfo().Config, 0); err != nil {
		t.Errorf("the embedded stream: %v", err)
	}
	if n := testkit.SubjectCount(t, st, "webhooks.>"); n != 1 {
		t.Errorf("%d events on the stream; want 1", n)
	}
}

// TestJetStreamBackendStreamKeepsClaims: with the jetstream backend, a
// stream that would remove claims before their TTL (its max_age, set by
// an operator, is shorter) is refused at start and on a reload that
// lengthens a TTL past it, naming max_age; the running config stays.
func TestJetStreamBackendStreamKeepsClaims(t *testing.T) {
	ns := testkit.StartNATS(t)
	_, js := testkit.JetStream(t, ns.URL())
	if err := forward.EnsureStream(t.Context(), js, forward.StreamConfig{
		MaxAge: 2 * time.Hour, Decisions: true, DecisionSubjects: jsstore.Subjects,
	}); err != nil {
		t.Fatal(err)
	}
	cfgWith := func(ttl string) *config.Config {
		return mustValid(t, testkit.GatewayYAML(t.TempDir(), fmt.Sprintf(`storage: {backend: jetstream}
nats: {url: %q, create_stream: true}
http: {shutdown_timeout: 1s}`, ns.URL()), "providers:"+providerYAML("shop", "stripe", "whsec_a", "dedupe: {ttl: "+ttl+"}")))
	}
	_, err := Open(context.Background(), cfgWith("3h"), Options{Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, jsstore.ErrUnsupported) || !strings.Contains(err.Error(), "max_age of at least the longest dedupe.ttl, 3h0m0s") {
		t.Fatalf("Open with a 3h TTL on a stream of max_age 2h = %v; want jsstore.ErrUnsupported naming max_age and 3h", err)
	}
	s := mustOpen(t, cfgWith("1h"))
	if _, err := s.Reload(cfgWith("3h")); !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "max_age") {
		t.Fatalf("Reload to a 3h TTL = %v; want config.ErrInvalid naming max_age", err)
	}
	if got := s.table.Load().byName["shop"].ttl; got != time.Hour {
		t.Errorf("TTL after the refused reload = %v; want 1h (the running config)", got)
	}
	if _, err := s.Reload(cfgWith("2h")); err != nil {
		t.Fatalf("Reload to a 2h TTL = %v", err)
	}
}

// TestJetStreamBackendRefusedLeavesStream: a jetstream backend start that
// the stream's checks refuse (here: max_age under the dedupe TTL) leaves
// the stream as it was: not its subjects, features or discard policy
// changed for decisions that will never run.
func TestJetStreamBackendRefusedLeavesStream(t *testing.T) {
	ns := testkit.StartNATS(t)
	_, js := testkit.JetStream(t, ns.URL())
	if err := forward.EnsureStream(t.Context(), js, forward.StreamConfig{MaxAge: 2 * time.Hour, MaxBytes: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	before := streamConfig(t, js)
	c := mustValid(t, testkit.GatewayYAML(t.TempDir(), fmt.Sprintf(`storage: {backend: jetstream}
nats: {url: %q, create_stream: true}
http: {shutdown_timeout: 1s}`, ns.URL()), "providers:"+providerYAML("shop", "stripe", "whsec_a", "dedupe: {ttl: 3h}")))
	if _, err := Open(context.Background(), c, Options{Logger: slog.New(slog.DiscardHandler)}); !errors.Is(err, jsstore.ErrUnsupported) {
		t.Fatalf("Open with a 3h TTL on a stream of max_age 2h = %v; want jsstore.ErrUnsupported", err)
	}
	after := streamConfig(t, js)
	if !slices.Equal(after.Subjects, before.Subjects) || after.Discard != before.Discard || after.AllowAtomicPublish != before.AllowAtomicPublish || after.AllowMsgTTL != before.AllowMsgTTL {
		t.Errorf("after the refused start the stream has subjects %v, discard %v, atomic %v, ttl %v; want %v, %v, %v, %v as before",
			after.Subjects, after.Discard, after.AllowAtomicPublish, after.AllowMsgTTL, before.Subjects, before.Discard, before.AllowAtomicPublish, before.AllowMsgTTL)
	}
}

func streamConfig(t *testing.T, js jetstream.JetStream) jetstream.StreamConfig {
	t.Helper()
	st, err := js.Stream(t.Context(), forward.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo().Config
}
