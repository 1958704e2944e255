package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"hookgate/verify"
)

const stripeSecret = "whsec_e2e_test_secret"

// mustMain starts the real serve command on a random port with a temp
// data_dir, an embedded NATS server on a random port, and the given
// providers section.
func mustMain(tb testing.TB, providers string) *Main {
	tb.Helper()
	dir := tb.TempDir()
	cfg := fmt.Sprintf(`
listen: 127.0.0.1:0
admin: {listen: "127.0.0.1:0"}
data_dir: %s
nats: {port: -1}
providers:
%s`, filepath.Join(dir, "data"), providers)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	var logs bytes.Buffer
	m := NewMain(io.Discard, &logs)
	if err := m.ParseFlags([]string{"-config", path, "-log-level", "warn"}); err != nil {
		tb.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := m.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return m
}

const stripeProvider = `
  - name: stripe
    type: stripe
    secrets: ["` + stripeSecret + `"]
    max_body: 4096
    ordering: {key: data.object.id, version: created}
`

// post signs body as Stripe would and posts it.
func post(tb testing.TB, m *Main, body, secret string) (int, map[string]string) {
	tb.Helper()
	vr := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(body)}
	if err := verify.Sign("stripe", vr, verify.Options{Secrets: []string{secret}}, time.Now()); err != nil {
		tb.Fatal(err)
	}
	req, err := http.NewRequest("POST", "http://"+m.Server.Addr().String()+"/webhooks/stripe", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header = vr.Header
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// stream opens the gateway's stream.
func stream(tb testing.TB, m *Main) jetstream.Stream {
	tb.Helper()
	nc, err := nats.Connect(m.Server.NATSURL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := js.Stream(context.Background(), "WEBHOOKS")
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// settled waits until the outbox is empty and returns the stream's
// message count.
func settled(tb testing.TB, m *Main, s jetstream.Stream) uint64 {
	tb.Helper()
	db := openDB(tb, m)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM outbox`).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("outbox still has %d rows", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return info.State.Msgs
}

func openDB(tb testing.TB, m *Main) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(m.Config.DataDir, "hookgate.db")+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func rows(tb testing.TB, m *Main) map[string]int {
	tb.Helper()
	db := openDB(tb, m)
	out := map[string]int{}
	for _, table := range []string{"processed_events", "entity_versions", "outbox"} {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// TestEndToEnd drives the whole pipeline: signed Stripe events in, NATS
// messages out, through the real serve command, SQLite file and embedded
// NATS server.
func TestEndToEnd(t *testing.T) {
	m := mustMain(t, stripeProvider)
	s := stream(t, m)
	ctx := context.Background()

	// A bad signature is refused and leaves no row in any table.
	first := "{\n  \"id\": \"evt_1\",\n  \"type\": \"customer.updated\",\n  \"created\": 200,\n  \"data\": {\"object\": {\"id\": \"cus_1\"}}\n}\n"
	if code, _ := post(t, m, first, "whsec_wrong"); code != 401 {
		t.Fatalf("bad signature: status %d; want 401", code)
	}
	if got := rows(t, m); got["processed_events"]+got["entity_versions"]+got["outbox"] != 0 {
		t.Fatalf("rows after a bad signature = %v; want none", got)
	}

	// A signed event is accepted and arrives once, byte for byte.
	if code, resp := post(t, m, first, stripeSecret); code != 202 || resp["status"] != "accepted" || resp["id"] != "evt_1" {
		t.Fatalf("first delivery: %d %v; want 202 accepted evt_1", code, resp)
	}
	if n := settled(t, m, s); n != 1 {
		t.Fatalf("stream has %d messages; want 1", n)
	}
	msg, err := s.GetLastMsgForSubject(ctx, "webhooks.stripe.customer.updated")
	if err != nil {
		t.Fatalf("no message on webhooks.stripe.customer.updated: %v", err)
	}
	if string(msg.Data) != first {
		t.Errorf("forwarded body = %q; want the raw body %q", msg.Data, first)
	}
	for k, want := range map[string]string{
		"Nats-Msg-Id":               "stripe:evt_1",
		"Hookgate-Provider":         "stripe",
		"Hookgate-Event-Id":         "evt_1",
		"Hookgate-Event-Type":       "customer.updated",
		"Hookgate-Ordering-Key":     "cus_1",
		"Hookgate-Ordering-Version": "200",
	} {
		if got := msg.Header.Get(k); got != want {
			t.Errorf("header %s = %q; want %q", k, got, want)
		}
	}

	// The same event again is a duplicate and adds nothing to the stream.
	if code, resp := post(t, m, first, stripeSecret); code != 200 || resp["status"] != "duplicate" {
		t.Fatalf("redelivery: %d %v; want 200 duplicate", code, resp)
	}
	// An older version of the same entity is stale and adds nothing.
	older := `{"id":"evt_0","type":"customer.updated","created":100,"data":{"object":{"id":"cus_1"}}}`
	if code, resp := post(t, m, older, stripeSecret); code != 200 || resp["status"] != "stale" {
		t.Fatalf("older version: %d %v; want 200 stale", code, resp)
	}
	if n := settled(t, m, s); n != 1 {
		t.Fatalf("stream has %d messages after duplicate and stale; want 1", n)
	}

	// A newer version is forwarded.
	newer := `{"id":"evt_2","type":"customer.updated","created":300,"data":{"object":{"id":"cus_1"}}}`
	if code, _ := post(t, m, newer, stripeSecret); code != 202 {
		t.Fatalf("newer version: status %d; want 202", code)
	}
	if n := settled(t, m, s); n != 2 {
		t.Fatalf("stream has %d messages; want 2", n)
	}

	// An oversized body is refused before anything is recorded.
	before := rows(t, m)
	big := `{"id":"evt_big","type":"x","created":400,"data":{"object":{"id":"cus_2"},"pad":"` + strings.Repeat("x", 5000) + `"}}`
	if code, _ := post(t, m, big, stripeSecret); code != 413 {
		t.Fatalf("oversized body: status %d; want 413", code)
	}
	if after := rows(t, m); after["processed_events"] != before["processed_events"] {
		t.Fatalf("processed_events %d -> %d after a 413", before["processed_events"], after["processed_events"])
	}
}

// TestRunExitCodes checks the command line's exit codes and messages.
func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("providers:\n  - name: a\n    type: github\n    secrets: [s]\n"), 0o600)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("providers:\n  - name: a\n    type: nope\n    secrets: []\n  - name: b\n    type: stripe\n    secrets: [s]\n    dedupe: {ttl: -1h}\n"), 0o600)
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		output []string
	}{
		{"check good", []string{"check-config", "-config", good}, 0, []string{"OK"}},
		{"check bad lists every problem", []string{"check-config", "-config", bad}, 1, []string{`unknown type "nope"`, "dedupe.ttl: must be positive"}},
		{"check missing file", []string{"check-config", "-config", filepath.Join(dir, "none.yaml")}, 1, []string{"no such file"}},
		{"unknown command", []string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{"no command", nil, 2, []string{"Usage"}},
		{"version", []string{"version"}, 0, []string{"hookgate"}},
		{"send without provider", []string{"send", "-config", good}, 2, []string{"-provider is required"}},
		{"send unknown provider", []string{"send", "-config", good, "-provider", "zzz"}, 1, []string{`no provider named "zzz"`}},
		{"tail without subject", []string{"tail"}, 2, []string{"SUBJECT"}},
		{"tail password without user", []string{"tail", "-password", "pw", "x"}, 2, []string{"-password needs -user"}},
		{"tail user without password", []string{"tail", "-user", "u", "x"}, 2, []string{"-user needs -password"}},
		{"tail user not in the config", []string{"tail", "-config", good, "-user", "u", "x"}, 1, []string{`user "u" is not in nats.users`}},
		{"serve bad config", []string{"serve", "-config", bad}, 1, []string{`unknown type "nope"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			code := Run(context.Background(), c.args, &out, &out)
			if code != c.code {
				t.Errorf("exit %d; want %d\n%s", code, c.code, out.String())
			}
			for _, w := range c.output {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output does not contain %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestSendAndTail runs `send` against a running gateway and `tail` on its
// stream, as the README's quick start does.
func TestSendAndTail(t *testing.T) {
	m := mustMain(t, `
  - name: demo
    type: standard-webhooks
    secrets: [whsec_aG9va2dhdGUtZGVtby1zZWNyZXQtZG8tbm90LXVzZSE=]
    ordering: {key: data.id, version: data.updated_at}
`)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`
listen: %s
nats: {url: %s}
providers:
  - name: demo
    type: standard-webhooks
    secrets: [whsec_aG9va2dhdGUtZGVtby1zZWNyZXQtZG8tbm90LXVzZSE=]
    ordering: {key: data.id, version: data.updated_at}
`, m.Server.Addr(), m.Server.NATSURL())), 0o600)

	var sendOut bytes.Buffer
	if code := Run(context.Background(), []string{"send", "-config", cfgPath, "-provider", "demo", "-id", "evt_demo_1", "-event-type", "order.paid"}, &sendOut, &sendOut); code != 0 {
		t.Fatalf("send exit %d:\n%s", code, sendOut.String())
	}
	if !strings.Contains(sendOut.String(), "202 Accepted") {
		t.Errorf("send output lacks 202 Accepted:\n%s", sendOut.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var tailOut bytes.Buffer
	code := Run(ctx, []string{"tail", "-config", cfgPath, "-stream", "WEBHOOKS", "-all", "-count", "1", "webhooks.demo.>"}, &tailOut, &tailOut)
	if code != 0 {
		t.Fatalf("tail exit %d:\n%s", code, tailOut.String())
	}
	for _, want := range []string{"--- webhooks.demo.order.paid", "Hookgate-Event-Id: evt_demo_1", "Nats-Msg-Id: demo:evt_demo_1", `"type":"order.paid"`} {
		if !strings.Contains(tailOut.String(), want) {
			t.Errorf("tail output lacks %q:\n%s", want, tailOut.String())
		}
	}
}

// TestCommandsRefuseStrayArguments: a word left after a command's flags is
// bad usage (2), not silently ignored with the flags after it; a replay
// against a data directory with no database says so instead of queueing
// nothing successfully; sign of an unknown type is bad usage, as in verify.
func TestCommandsRefuseStrayArguments(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\nproviders: [{name: p, type: github, secrets: [s]}]\n", filepath.Join(dir, "nodata"))), 0o600)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check-config", "bad.yaml"}, 2, `unexpected argument "bad.yaml"`},
		{[]string{"send", "-config", cfg, "-provider", "p", "extra", "-id", "X"}, 2, `unexpected argument "extra"`},
		{[]string{"events", "-config", cfg, "x"}, 2, "unexpected argument"},
		{[]string{"replay", "-config", cfg, "-provider", "p"}, 1, "no gateway database in data_dir"},
		{[]string{"sign", "-type", "nosuch", "-secret", "x"}, 2, "nosuch"},
	} {
		var out bytes.Buffer
		if code := Run(context.Background(), c.args, &out, &out); code != c.code || !strings.Contains(out.String(), c.want) {
			t.Errorf("hookgate %v: exit %d, %q; want exit %d saying %q", c.args, code, out.String(), c.code, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nodata")); err == nil {
		t.Error("replay created the data directory it did not find")
	}
}
