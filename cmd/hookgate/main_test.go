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

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/internal/testkit"
)

const stripeSecret = "whsec_e2e_test_secret"

// gatewayConfig writes a gateway config (testkit.GatewayYAML) with the
// sections, its data_dir in a temp dir, and returns its path.
func gatewayConfig(tb testing.TB, sections ...string) string {
	tb.Helper()
	dir := tb.TempDir()
	return testkit.WriteFile(tb, dir, "config.yaml", testkit.GatewayYAML(filepath.Join(dir, "data"), sections...))
}

// demoProvider is the README's quick-start provider.
const demoProvider = `
  - name: demo
    type: standard-webhooks
    secrets: [whsec_aG9va2dhdGUtZGVtby1zZWNyZXQtZG8tbm90LXVzZSE=]`

// shopProvider is the stripe provider of the fault, cluster and bench
// tests (secret faultSecret), ordered by its object's id and version.
func shopProvider(version string) string {
	return `providers:
  - name: shop
    type: stripe
    secrets: [` + faultSecret + `]
    ordering: {key: data.object.id, version: ` + version + `}`
}

// baseURL is the address of m's webhook listener.
func baseURL(m *Main) func() string {
	return func() string { return "http://" + m.Server.Addr().String() }
}

// mustMain starts the real serve command on a random port with a temp
// data_dir, an embedded NATS server on a random port, and the given
// providers section.
func mustMain(tb testing.TB, providers string) *Main {
	tb.Helper()
	path := gatewayConfig(tb, testkit.EmbeddedNATS, "providers:"+providers)
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
	req := testkit.SignedRequest(tb, "stripe", secret, baseURL(m)()+"/webhooks/stripe", body)
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
	return testkit.Stream(tb, m.Server.NATSURL(), "WEBHOOKS")
}

// settled waits until the outbox is empty and returns the stream's
// message count.
func settled(tb testing.TB, m *Main, s jetstream.Stream) uint64 {
	tb.Helper()
	db := openDB(tb, m)
	var n int
	testkit.WaitFor(tb, 10*time.Second, func() string { return fmt.Sprintf("outbox still has %d rows", n) }, func() bool {
		if err := db.QueryRow(`SELECT count(*) FROM outbox`).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		return n == 0
	})
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

// TestRunExitCodes checks the command line's exit codes and messages.
func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("providers:\n  - name: a\n    type: github\n    secrets: [s]\n"), 0o600)
	goodHash := filepath.Join(dir, "good-hash.yaml")
	os.WriteFile(goodHash, []byte("providers:\n  - name: a\n    type: github\n    secrets: [s]\n    dedupe: {body_hash: true}\n"), 0o600)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("providers:\n  - name: a\n    type: nope\n    secrets: []\n  - name: b\n    type: stripe\n    secrets: [s]\n    dedupe: {ttl: -1h}\n"), 0o600)
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		output []string
		absent string
	}{
		{name: "check good", args: []string{"check-config", "-config", good}, code: 0,
			output: []string{"OK", "note: providers[0] (a): the event ID (header:X-GitHub-Delivery) is not covered by github's signature", "dedupe.body_hash: true"}},
		{name: "check good, body_hash", args: []string{"check-config", "-config", goodHash}, code: 0, output: []string{"OK"}, absent: "note:"},
		{name: "check bad lists every problem", args: []string{"check-config", "-config", bad}, code: 1, output: []string{`unknown type "nope"`, "dedupe.ttl: must be positive"}},
		{name: "check missing file", args: []string{"check-config", "-config", filepath.Join(dir, "none.yaml")}, code: 1, output: []string{"no such file"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, output: []string{`unknown command "frobnicate"`}},
		{name: "no command", args: nil, code: 2, output: []string{"Usage"}},
		{name: "version", args: []string{"version"}, code: 0, output: []string{"hookgate"}},
		{name: "send without provider", args: []string{"send", "-config", good}, code: 2, output: []string{"-provider is required"}},
		{name: "send unknown provider", args: []string{"send", "-config", good, "-provider", "zzz"}, code: 2, output: []string{`no provider named "zzz"`}},
		{name: "tail without subject", args: []string{"tail"}, code: 2, output: []string{"SUBJECT"}},
		{name: "tail password without user", args: []string{"tail", "-password", "pw", "x"}, code: 2, output: []string{"-password needs -user"}},
		{name: "tail user without password", args: []string{"tail", "-user", "u", "x"}, code: 2, output: []string{"-user needs -password"}},
		{name: "tail user not in the config", args: []string{"tail", "-config", good, "-user", "u", "x"}, code: 2, output: []string{`user "u" is not in nats.users`}},
		{name: "serve bad config", args: []string{"serve", "-config", bad}, code: 1, output: []string{`unknown type "nope"`}},
		{name: "keygen without -out", args: []string{"keygen"}, code: 2, output: []string{"-out FILE"}},
		{name: "keygen", args: []string{"keygen", "-out", filepath.Join(dir, "bus.pem")}, code: 0, output: []string{"key ID:", "bus.pem.pub"}},
		{name: "keygen never overwrites", args: []string{"keygen", "-out", filepath.Join(dir, "bus.pem")}, code: 1, output: []string{"file exists"}},
		{name: "tail unreadable verify key", args: []string{"tail", "-verify-key", filepath.Join(dir, "none.pub"), "x"}, code: 1, output: []string{"-verify-key", "none.pub"}},
		{name: "tail verify key is the private key", args: []string{"tail", "-verify-key", filepath.Join(dir, "bus.pem"), "x"}, code: 1, output: []string{"-verify-key", `"PRIVATE KEY"`}},
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
			if c.absent != "" && strings.Contains(out.String(), c.absent) {
				t.Errorf("output contains %q:\n%s", c.absent, out.String())
			}
		})
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
		{args: []string{"check-config", "bad.yaml"}, code: 2, want: `unexpected argument "bad.yaml"`},
		{args: []string{"send", "-config", cfg, "-provider", "p", "extra", "-id", "X"}, code: 2, want: `unexpected argument "extra"`},
		{args: []string{"events", "-config", cfg, "x"}, code: 2, want: "unexpected argument"},
		{args: []string{"replay", "-config", cfg, "-provider", "p"}, code: 1, want: "no gateway database in data_dir"},
		{args: []string{"sign", "-type", "nosuch", "-secret", "x"}, code: 2, want: "nosuch"},
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

// TestSigningKeyReadByServeOnly: a config whose nats.sign.key_file is not
// on this machine is fine for the commands that read the stream, and an
// error for check-config and serve, which name the field.
func TestSigningKeyReadByServeOnly(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\nnats: {sign: {key_file: %s}}\nproviders: [{name: p, type: github, secrets: [s]}]\n",
		filepath.Join(dir, "data"), filepath.Join(dir, "absent.pem"))), 0o600)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check-config", "-config", cfg}, 1, "nats.sign.key_file"},
		{[]string{"serve", "-config", cfg}, 1, "nats.sign.key_file"},
		{[]string{"asyncapi", "-config", cfg}, 0, "Hookgate-Signature"},
	} {
		var out bytes.Buffer
		if code := Run(context.Background(), c.args, &out, &out); code != c.code || !strings.Contains(out.String(), c.want) {
			t.Errorf("%v: exit %d; want %d with %q\n%s", c.args, code, c.code, c.want, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Error("serve created its data directory before it read the signing key")
	}
}
