package gateway

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestReadConfigExpandsEnv(t *testing.T) {
	const src = `
# a comment may mention ${NOT_SET}
nats:
  port: ${PORT}
providers:
  - name: acme
    type: standard-webhooks
    secrets:
      - ${NEW}
      - "${PEM}"
      - ${ODD}
`
	c, err := ReadConfig(strings.NewReader(src), env(map[string]string{
		"PORT": "4333",
		"NEW":  "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"PEM":  "-----BEGIN KEY-----\nabc\n-----END KEY-----\n",
		"ODD":  "null",
	}))
	if err != nil {
		t.Fatalf("ReadConfig: %v", err)
	}
	if c.NATS.Port != 4333 {
		t.Errorf("nats.port = %d; want 4333", c.NATS.Port)
	}
	want := []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "-----BEGIN KEY-----\nabc\n-----END KEY-----\n", "null"}
	got := c.Providers[0].Secrets
	if len(got) != len(want) {
		t.Fatalf("secrets = %q; want %q", got, want)
	}
	for i := range want {
		if got[i].Value != want[i] {
			t.Errorf("secrets[%d] = %q; want %q", i, got[i], want[i])
		}
	}
}

func TestSecretsWithExpiry(t *testing.T) {
	c := mustValid(t, `
providers:
  - name: acme
    type: stripe
    secrets:
      - whsec_new
      - value: whsec_old
        not_after: 2026-12-01T00:00:00Z
`)
	o, err := c.Providers[0].VerifyOptions()
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if len(o.Secrets) != 2 || o.Secrets[1] != "whsec_old" || !o.NotAfter[0].IsZero() || !o.NotAfter[1].Equal(want) {
		t.Fatalf("VerifyOptions = %q, %v; want [whsec_new whsec_old], [zero %s]", o.Secrets, o.NotAfter, want)
	}
	_, err = ReadConfig(strings.NewReader("providers:\n  - name: a\n    secrets:\n      - {value: x, not_after: tomorrow}\n"), env(nil))
	if !errors.Is(err, ErrConfig) {
		t.Errorf("ReadConfig(not_after: tomorrow) = %v; want ErrConfig", err)
	}
}

func TestSchemeOptionsRejectedWhereTheyDoNotApply(t *testing.T) {
	c, err := ReadConfig(strings.NewReader(`
providers:
  - name: a
    type: stripe
    secrets: [s]
    options: {audience: x}
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil || !strings.Contains(err.Error(), "providers[0] (a): stripe takes no option audience") {
		t.Fatalf("Validate = %v; want an error naming the option", err)
	}
}

func TestReadConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string // substrings of the error
	}{
		{"unset variable", "providers:\n  - name: a\n    secrets: [\"${STRIPE_SECRET}\"]\n", []string{"line 3", "STRIPE_SECRET is not set"}},
		{"unknown key", "listen: \":1\"\nlisten_addr: x\n", []string{"listen_addr", "not found"}},
		{"unknown nested key", "providers:\n  - name: a\n    secret: x\n", []string{"secret", "not found"}},
		{"bad duration", "providers:\n  - name: a\n    dedupe: {ttl: 7d}\n", []string{"7d", "not a duration"}},
		{"empty file", "", []string{"empty"}},
		{"not yaml", "providers: [\n", []string{"yaml"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadConfig(strings.NewReader(c.src), env(nil))
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("ReadConfig = %v; want ErrConfig", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ReadConfig error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func mustValid(tb testing.TB, src string) *Config {
	tb.Helper()
	c, err := ReadConfig(strings.NewReader(src), env(nil))
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		tb.Fatalf("Validate: %v", err)
	}
	return c
}

func TestValidateDefaults(t *testing.T) {
	c := mustValid(t, `
providers:
  - name: stripe
    type: stripe
    secrets: [whsec_x]
`)
	p := c.Providers[0]
	for _, check := range []struct {
		field     string
		got, want any
	}{
		{"listen", c.Listen, DefaultListen},
		{"data_dir", c.DataDir, DefaultDataDir},
		{"storage.synchronous", c.Storage.Synchronous, "full"},
		{"nats.port", c.NATS.Port, DefaultNATSPort},
		{"nats.stream", c.NATS.Stream, DefaultStream},
		{"nats.mode", c.NATS.Mode, "jetstream"},
		{"nats.duplicate_window", time.Duration(c.NATS.DuplicateWindow), DefaultDuplicateWindow},
		{"nats.create_stream", *c.NATS.CreateStream, true},
		{"path", p.Path, "/webhooks/stripe"},
		{"dedupe.ttl", time.Duration(p.Dedupe.TTL), DefaultTTL},
		{"max_body", p.MaxBody, int64(DefaultMaxBody)},
		{"subject", p.Subject, DefaultSubject},
		{"nats client url", c.NATSClientURL(), "nats://127.0.0.1:4222"},
	} {
		if check.got != check.want {
			t.Errorf("%s = %v; want %v", check.field, check.got, check.want)
		}
	}
	ext := mustValid(t, "nats: {url: nats://n:4222}\nproviders: [{name: a, type: github, secrets: [s]}]\n")
	if *ext.NATS.CreateStream {
		t.Error("nats.create_stream defaults to true with a url; want false")
	}
}

// TestValidateNamesEveryProblem checks that one Validate call reports every
// problem, each naming its field.
func TestValidateNamesEveryProblem(t *testing.T) {
	c, err := ReadConfig(strings.NewReader(`
listen: "nope"
storage: {synchronous: sometimes}
nats: {mode: carrier-pigeon, url: "nats://x:1", port: 5}
providers:
  - name: Bad Name
    type: stripe
    secrets: [s]
  - name: ok
    type: no-such-scheme
    secrets: [s]
  - name: ok
    type: stripe
    secrets: []
    path: /webhooks/ok2
  - name: nosec
    type: github
    secrets: [s]
    path: relative
    subject: "webhooks.{nope}"
    ordering: {key: data.id, format: weekly, ties: sometimes}
    dedupe: {ttl: -1h}
  - name: h
    type: hmac
    secrets: [s]
    identify: {event_id: "header:"}
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("Validate = %v; want ErrConfig", err)
	}
	for _, field := range []string{
		"listen:",
		"storage.synchronous:",
		"nats.mode:",
		"nats: host, port",
		"providers[0] (Bad Name).name:",
		"providers[1] (ok).type:",
		"providers[2] (ok).name:",
		"providers[2] (ok): stripe needs at least one secret",
		"providers[3] (nosec).path:",
		"providers[3] (nosec).subject:",
		"providers[3] (nosec).ordering: key and version",
		"providers[3] (nosec).ordering.format:",
		"providers[3] (nosec).ordering.ties:",
		"providers[3] (nosec).dedupe.ttl:",
		"providers[4] (h): hmac: option header is required",
		"providers[4] (h).identify:",
	} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("Validate error does not name %q:\n%v", field, err)
		}
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	c, err := LoadConfig("../config.example.yaml")
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	if len(c.Providers) == 0 || c.Providers[0].Name != "demo" {
		t.Fatalf("config.example.yaml has no demo provider first: %+v", c.Providers)
	}
}

func TestValidateStreamLimitsAndTTL(t *testing.T) {
	c, err := ReadConfig(strings.NewReader(`
nats: {duplicate_window: 10m, max_age: 5m}
providers:
  - name: a
    type: github
    secrets: [s]
    dedupe: {ttl: 1m}
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	for _, want := range []string{"nats.max_age: 5m0s is shorter than the duplicate window 10m0s", "providers[0] (a).dedupe.ttl: 1m0s is shorter than nats.duplicate_window 10m0s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v; want %q", err, want)
		}
	}
}
