package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
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
	c, err := Read(strings.NewReader(src), env(map[string]string{
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
	_, err = Read(strings.NewReader("providers:\n  - name: a\n    secrets:\n      - {value: x, not_after: tomorrow}\n"), env(nil))
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("ReadConfig(not_after: tomorrow) = %v; want ErrConfig", err)
	}
}

func TestSchemeOptionsRejectedWhereTheyDoNotApply(t *testing.T) {
	c, err := Read(strings.NewReader(`
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
			_, err := Read(strings.NewReader(c.src), env(nil))
			if !errors.Is(err, ErrInvalid) {
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

// readValidate reads src, with no environment, and returns the config and
// what Validate said of it.
func readValidate(tb testing.TB, src string) (*Config, error) {
	tb.Helper()
	c, err := Read(strings.NewReader(src), env(nil))
	if err != nil {
		tb.Fatal(err)
	}
	return c, c.Validate()
}

func mustValid(tb testing.TB, src string) *Config {
	tb.Helper()
	c, err := Read(strings.NewReader(src), env(nil))
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
		{"storage.backend", c.Storage.Backend, BackendSQLite},
		{"nats.replicas", c.NATS.Replicas, 1},
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
		{"http.max_conns", c.HTTP.MaxConns, DefaultMaxConns},
		{"http.max_conns_per_client", c.HTTP.MaxConnsPerClient, DefaultMaxConns / 4},
		{"http.max_concurrent_streams", c.HTTP.MaxConcurrentStreams, DefaultMaxStreams},
	} {
		if check.got != check.want {
			t.Errorf("%s = %v; want %v", check.field, check.got, check.want)
		}
	}
	if small := mustValid(t, "http: {max_conns: 2}\nproviders: [{name: a, type: github, secrets: [s]}]\n"); small.HTTP.MaxConnsPerClient != 1 {
		t.Errorf("http.max_conns_per_client = %d with max_conns 2; want 1", small.HTTP.MaxConnsPerClient)
	}
	ext := mustValid(t, "nats: {url: nats://n:4222}\nproviders: [{name: a, type: github, secrets: [s]}]\n")
	if *ext.NATS.CreateStream {
		t.Error("nats.create_stream defaults to true with a url; want false")
	}
}

// TestValidateNamesEveryProblem checks that one Validate call reports every
// problem, each naming its field.
func TestValidateNamesEveryProblem(t *testing.T) {
	c, err := Read(strings.NewReader(`
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
    pass_headers: [X-Ok, nats-msg-id, Hookgate-Event-Id, "X Bad", "X-Priorität", Ce-Id]
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if !errors.Is(err, ErrInvalid) {
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
		`providers[4] (h).pass_headers[1]: "nats-msg-id" is reserved`,
		`providers[4] (h).pass_headers[2]: "Hookgate-Event-Id" is reserved`,
		`providers[4] (h).pass_headers[3]: "X Bad" is not a header name`,
		`providers[4] (h).pass_headers[4]: "X-Priorität" is not a header name: invalid character`,
		`providers[4] (h).pass_headers[5]: "Ce-Id" is reserved`,
	} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("Validate error does not name %q:\n%v", field, err)
		}
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	c, err := Load("../config.example.yaml")
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	if len(c.Providers) == 0 || c.Providers[0].Name != "demo" {
		t.Fatalf("config.example.yaml has no demo provider first: %+v", c.Providers)
	}
}

func TestValidateStreamLimitsAndTTL(t *testing.T) {
	c, err := Read(strings.NewReader(`
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

// TestSecretMappingKeys checks that a secret written as a mapping takes only
// value and not_after: a misspelt not_after must not leave an old secret
// accepted for ever.
func TestSecretMappingKeys(t *testing.T) {
	// Blank lines on purpose: the line reported is the file's.
	const src = `providers:

  - name: acme
    type: stripe

    secrets:
      - whsec_new
      - {value: whsec_old, not_afer: 2023-11-14T00:00:00Z}
  - name: shop
    type: stripe
    secrets:
      - not_after: 2023-11-14T00:00:00Z
`
	_, err := Read(strings.NewReader(src), env(nil))
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("ReadConfig = %v; want ErrConfig", err)
	}
	for _, want := range []string{
		`providers[0] (acme).secrets[1]: line 8: unknown key "not_afer"`,
		`providers[1] (shop).secrets[0]: line 12: a secret mapping needs value`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ReadConfig error does not say %q:\n%v", want, err)
		}
	}

	// Decoded on its own, a Secret refuses the key too.
	var s Secret
	err = yaml.Unmarshal([]byte("{value: x, expires: 2023-11-14T00:00:00Z}"), &s)
	if err == nil || !strings.Contains(err.Error(), `unknown key "expires"`) {
		t.Errorf("yaml.Unmarshal(Secret with expires) = %v; want an error naming the key", err)
	}
}

func validateErr(tb testing.TB, src string) error {
	tb.Helper()
	c, err := Read(strings.NewReader(src), env(nil))
	if err != nil {
		tb.Fatal(err)
	}
	return c.Validate()
}

// checkValidate runs Validate on src plus a provider and checks that its
// error holds every string of want, or that it passes when want is empty.
func checkValidate(t *testing.T, src string, want []string) {
	t.Helper()
	checkValidateErr(t, validateErr(t, src+"\nproviders: [{name: shop, type: github, secrets: [s]}]\n"), want)
}

// checkValidateErr checks that Validate's err holds every string of want,
// or is nil when want is empty.
func checkValidateErr(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Errorf("Validate = %v; want nil", err)
		}
		return
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("Validate = %v; want ErrConfig", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Validate error does not say %q:\n%v", w, err)
		}
	}
}

// TestValidateListeners checks the addresses that serve could not listen on.
func TestValidateListeners(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{"port out of range", `listen: ":99999"`, []string{`listen: ":99999" is not host:port with a port from 0 to 65535`}},
		{"negative port", `listen: "127.0.0.1:-1"`, []string{"listen:"}},
		{"admin port out of range", `admin: {listen: "127.0.0.1:70000"}`, []string{"admin.listen:"}},
		{"admin on listen", "listen: \":8080\"\nadmin: {listen: \":8080\"}", []string{`admin.listen: ":8080" takes the same port as listen ":8080"`}},
		{"admin on a wildcard listen", "listen: \":8080\"\nadmin: {listen: \"127.0.0.1:8080\"}", []string{"admin.listen:"}},
		{"admin on localhost", "listen: \"127.0.0.1:9000\"\nadmin: {listen: \"localhost:9000\"}", []string{"admin.listen:"}},
		{"listen on the embedded NATS port", `listen: ":4222"`, []string{`nats.port: "127.0.0.1:4222" takes the same port as listen ":4222"`}},
		{"service name", "listen: \"127.0.0.1:http\"\nadmin: {listen: \"127.0.0.1:9090\"}", nil},
		{"different addresses", "listen: \"10.0.0.1:8080\"\nadmin: {listen: \"127.0.0.1:8080\"}", nil},
		{"random ports", "listen: \"127.0.0.1:0\"\nadmin: {listen: \"127.0.0.1:0\"}\nnats: {port: -1}", nil},
		{"admin off", "listen: \":9090\"\nadmin: {listen: \"off\"}", nil},
		{"external NATS", "listen: \":4222\"\nnats: {url: \"nats://n:4222\"}", nil},
	} {
		t.Run(c.name, func(t *testing.T) { checkValidate(t, c.src, c.want) })
	}
}

// TestValidateStreamSubjects checks nats.subjects for what NATS refuses
// when the stream is created.
func TestValidateStreamSubjects(t *testing.T) {
	for _, c := range []struct {
		name     string
		subjects string
		want     []string
	}{
		{"space", `["foo bar"]`, []string{`nats.subjects[0]: "foo bar" has white space`}},
		{"empty token", `["webhooks..x"]`, []string{`nats.subjects[0]: "webhooks..x" has an empty token`}},
		{"trailing dot", `["webhooks.>", "orders."]`, []string{`nats.subjects[1]: "orders." has an empty token`}},
		{"empty", `[""]`, []string{`nats.subjects[0]: "" is empty`}},
		{"> not last", `["webhooks.>.x"]`, []string{`nats.subjects[0]: "webhooks.>.x" has '>' before its last token`}},
		{"everything", `[">"]`, []string{`nats.subjects[0]: ">" starts with a wildcard`}},
		{"leading *", `["*.orders"]`, []string{`nats.subjects[0]: "*.orders" starts with a wildcard`}},
		{"duplicate", `["webhooks.>", "webhooks.>"]`, []string{`nats.subjects[1]: "webhooks.>" overlaps "webhooks.>"`}},
		{"overlap", `["webhooks.shop.*", "webhooks.>"]`, []string{`nats.subjects[1]: "webhooks.>" overlaps "webhooks.shop.*"`}},
		{"disjoint", `["webhooks.>", "webhooks", "other.*.x"]`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A url and no create_stream: the subjects are checked even so.
			checkValidate(t, "nats: {url: \"nats://n:4222\", subjects: "+c.subjects+"}", c.want)
		})
	}
}

// TestValidateDefaultTTLAgainstWindow checks that a dedupe.ttl left at its
// default is compared with the duplicate window like one written out.
// TestValidateTTLBound: a dedupe.ttl past webhook.MaxTTL (100 years) is
// refused: its claims' expiry, now+ttl in Unix nanoseconds, would wrap
// around into the past, and every retry be accepted again.
func TestValidateTTLBound(t *testing.T) {
	for _, c := range []struct {
		ttl  string
		want string // "" for valid
	}{
		{"876000h", ""},
		{"876001h", "providers[0] (shop).dedupe.ttl: 876001h0m0s is longer than the most, 876000h0m0s (100 years)"},
		{"2200000h", "providers[0] (shop).dedupe.ttl: 2200000h0m0s is longer than the most"},
	} {
		err := validateErr(t, "providers: [{name: shop, type: github, secrets: [s], dedupe: {ttl: "+c.ttl+"}}]\n")
		switch {
		case c.want == "" && err != nil:
			t.Errorf("dedupe.ttl %s: Validate = %v; want nil", c.ttl, err)
		case c.want != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("dedupe.ttl %s: Validate = %v; want %q", c.ttl, err, c.want)
		}
	}
}

func TestValidateDefaultTTLAgainstWindow(t *testing.T) {
	checkValidate(t, "nats: {duplicate_window: 200h}", []string{"providers[0] (shop).dedupe.ttl: 168h0m0s (the default) is shorter than nats.duplicate_window 200h0m0s"})
	checkValidate(t, "nats: {duplicate_window: 168h}", nil)
}

// TestValidateSubjectInsideStream checks that a provider's subject template
// must fall inside the subjects of a stream that hookgate creates.
func TestValidateSubjectInsideStream(t *testing.T) {
	for _, c := range []struct {
		name, nats, subject string
		ok                  bool
	}{
		{"defaults", "{}", "", true},
		{"outside", "{}", "orders.{type}", false},
		{"provider literal", `{subjects: ["webhooks.shop.>"]}`, "", true},
		{"other provider", `{subjects: ["webhooks.github.>"]}`, "", false},
		{"provider under *", `{subjects: ["webhooks.*.>"]}`, "", true},
		{"type under *", `{subjects: ["webhooks.*.*"]}`, "", false},
		{"type under * then literal", `{subjects: ["webhooks.*.x"]}`, "webhooks.{type}.x", false},
		{"type under > then literal", `{subjects: ["webhooks.>"]}`, "webhooks.{type}.x", true},
		{"type inside a token", `{subjects: ["webhooks.*"]}`, "webhooks.t-{type}", false},
		{"type one token or more, two subjects", `{subjects: ["webhooks.*", "webhooks.*.>"]}`, "webhooks.{type}", true},
		{"type two tokens or more, missing one", `{subjects: ["webhooks.*.*.>"]}`, "webhooks.{type}", false},
		{"literal", `{subjects: ["fixed.subject"]}`, "fixed.subject", true},
		{"literal under *", `{subjects: ["fixed.*"]}`, "fixed.{provider}", true},
		{"too short", `{subjects: ["fixed"]}`, "fixed.subject", false},
		{"> needs a token", `{subjects: ["fixed.subject.>"]}`, "fixed.subject", false},
		{"not created: not checked", `{url: "nats://n:4222", subjects: ["webhooks.>"]}`, "orders.{type}", true},
		{"create_stream false: not checked", `{create_stream: false}`, "orders.{type}", true},
		{"created with a url", `{url: "nats://n:4222", create_stream: true}`, "orders.{type}", false},
		{"core mode: no stream", `{mode: core}`, "orders.{type}", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			subject := ""
			if c.subject != "" {
				subject = ", subject: \"" + c.subject + "\""
			}
			err := validateErr(t, "nats: "+c.nats+"\nproviders: [{name: shop, type: github, secrets: [s]"+subject+"}]\n")
			switch {
			case c.ok && err != nil:
				t.Errorf("Validate = %v; want nil", err)
			case !c.ok && (err == nil || !strings.Contains(err.Error(), "providers[0] (shop).subject:") || !strings.Contains(err.Error(), "does not fall inside nats.subjects")):
				t.Errorf("Validate = %v; want an error naming providers[0] (shop).subject and nats.subjects", err)
			}
		})
	}
	err := validateErr(t, "providers: [{name: shop, type: github, secrets: [s], subject: \"orders.{type}\"}]\n")
	want := `providers[0] (shop).subject: "orders.{type}" does not fall inside nats.subjects ["webhooks.>"]`
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "only a '>' at or before its place") {
		t.Errorf("Validate = %v; want %q and the hint about {type}", err, want)
	}
}

func TestEdgeConfigErrors(t *testing.T) {
	c, err := Read(strings.NewReader(`
http: {trusted_proxies: [nope], tls: {cert_file: /x}, max_conns: 8, max_conns_per_client: 9, max_concurrent_streams: -1}
providers:
  - name: a
    type: github
    secrets: [s]
    allow: [300.1.1.1]
    rate_limit: {burst: 5}
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	for _, want := range []string{"http.trusted_proxies:", "http.tls: cert_file and key_file", "http.max_conns_per_client: 9 is more than http.max_conns (8)", "http.max_concurrent_streams: -1 is out of range", "providers[0] (a).allow:", "providers[0] (a).rate_limit:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v; want it to name %q", err, want)
		}
	}
}

// TestValidateBackend: the jetstream backend needs JetStream mode, no
// archive, subjects apart from its own, and a stream that keeps claims for
// their TTL; replicas need a cluster.
func TestValidateBackend(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string // problems named; none: valid
	}{
		{"sqlite", "storage: {backend: SQLite}\n", nil},
		{"jetstream embedded", "storage: {backend: jetstream}\n", nil},
		{"jetstream on a cluster", "storage: {backend: jetstream}\nnats: {url: nats://a:4222, replicas: 3, max_age: 720h}\n", nil},
		{"unknown backend", "storage: {backend: postgres}\n", []string{`storage.backend: "postgres" is not sqlite or jetstream`}},
		{"replicas on the embedded server", "nats: {replicas: 3}\n", []string{"nats.replicas: 3: the embedded server is one node"}},
		{"too many replicas", "nats: {url: nats://a:4222, replicas: 7}\n", []string{"nats.replicas: 7 is not from 1 to 5"}},
		{"core mode", "storage: {backend: jetstream}\nnats: {mode: core}\n", []string{"storage.backend: jetstream decides in the stream: nats.mode must be jetstream"}},
		{"archive", "storage: {backend: jetstream}\narchive: {enabled: true}\n", []string{"archive.enabled: the archive is written with the sqlite backend"}},
		{"subjects over the internal ones", "storage: {backend: jetstream}\nnats: {subjects: [\">\"]}\n", []string{`nats.subjects[0]: ">" overlaps "_hg.claim.>"`, `overlaps "_hg.ver.>"`}},
		{"max_age under the ttl", "storage: {backend: jetstream}\nnats: {max_age: 24h}\n", []string{"nats.max_age: 24h0m0s is shorter than providers[0] (a) dedupe.ttl 168h0m0s"}},
		{"max_age under the ttl is fine on sqlite", "nats: {max_age: 24h}\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := readValidate(t, c.src+"providers: [{name: a, type: github, secrets: [s]}]\n")
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v; want valid", err)
				}
				return
			}
			for _, want := range c.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Validate = %v; want it to name %q", err, want)
				}
			}
		})
	}
}
