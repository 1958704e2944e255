package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadClient: LoadClient (tail, deliver) reads the nats section and
// the deliveries alone. A provider secret whose ${VAR} is unset, a secret
// file and http.tls files that are missing stop Load, not LoadClient; a
// ${VAR} of nats or of a delivery must still be set, an unknown key there
// is still refused, and the deliveries are still validated, their headers
// against the providers' pass_headers.
func TestLoadClient(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HG_TEST_NATS_PASSWORD", "nats-password-1")
	t.Setenv("HG_TEST_ORDERS_TOKEN", "tok")
	write := func(name, src string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const natsYAML = `nats:
  url: nats://nats.internal:4222
  user: hookgate
  password: "${HG_TEST_NATS_PASSWORD}"
  stream: EVENTS
  subjects: ["events.>"]
`
	providers := `providers:
  - name: shop
    type: stripe
    secrets: ["${HG_TEST_UNSET_SECRET}", {file: ` + filepath.Join(dir, "missing-secret") + `}]
    pass_headers: [X-Trace]
`
	gateway := `listen: "127.0.0.1:8080"
http: {tls: {cert_file: ` + filepath.Join(dir, "missing.pem") + `, key_file: ` + filepath.Join(dir, "missing.key") + `}}
`
	deliveries := func(header string) string {
		return `deliveries:
  - name: orders
    url: https://orders.internal/hooks
    subjects: ["events.shop.>"]
    timeout: 5s
    headers: {` + header + `: "Bearer ${HG_TEST_ORDERS_TOKEN}"}
`
	}
	path := write("config.yaml", gateway+natsYAML+providers+deliveries("Authorization"))
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "HG_TEST_UNSET_SECRET") {
		t.Fatalf("Load = %v; want the unset provider secret's variable named (else this test shows nothing)", err)
	}
	cfg, err := LoadClient(path)
	if err != nil {
		t.Fatalf("LoadClient = %v; want the config, without the providers' secrets and http.tls", err)
	}
	auth, err := cfg.ClientAuth("", "")
	if err != nil || cfg.NATSClientURL() != "nats://nats.internal:4222" || cfg.NATS.Stream != "EVENTS" ||
		auth.User != "hookgate" || auth.Password != "nats-password-1" {
		t.Errorf("LoadClient: NATS %s, stream %s, auth %s/%s (%v); want nats://nats.internal:4222, EVENTS, hookgate/nats-password-1",
			cfg.NATSClientURL(), cfg.NATS.Stream, auth.User, auth.Password, err)
	}
	if len(cfg.Deliveries) != 1 {
		t.Fatalf("LoadClient: %d deliveries; want 1", len(cfg.Deliveries))
	}
	d := cfg.Deliveries[0]
	tg, err := d.Target(cfg.NATS.Stream, nil)
	if err != nil || tg.Stream != "EVENTS" || tg.Timeout != 5*time.Second || tg.Headers["Authorization"] != "Bearer tok" {
		t.Errorf("LoadClient: delivery target %+v, %v; want on EVENTS, 5s, with its header expanded", tg, err)
	}

	for _, c := range []struct {
		name, src, want string
	}{
		{"nats variable unset", strings.Replace(natsYAML, "HG_TEST_NATS_PASSWORD", "HG_TEST_UNSET_PASSWORD", 1) + providers + deliveries("Authorization"),
			"environment variable HG_TEST_UNSET_PASSWORD is not set"},
		{"unknown nats key", natsYAML + "  strem: X\n" + providers + deliveries("Authorization"), "strem"},
		{"delivery header passed by a provider", natsYAML + providers + deliveries("X-Trace"),
			"deliveries[0] (orders).headers: X-Trace is passed through from provider shop's requests (pass_headers)"},
		{"delivery outside the stream", natsYAML + providers + strings.Replace(deliveries("Authorization"), "events.shop.>", "webhooks.>", 1),
			`"webhooks.>" is not inside the stream's subjects`},
		// A typo of a section is no absent section.
		{"unknown top-level key", natsYAML + "nat: {url: nats://elsewhere:4222}\n" + providers + deliveries("Authorization"), "nat"},
	} {
		_, err := LoadClient(write(c.name+".yaml", c.src))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: LoadClient = %v; want it to say %q", c.name, err, c.want)
		}
	}
	// A kept value may alias an anchor of a pruned section, and the
	// signing key's file, which only the gateway reads, may name an unset
	// variable.
	aliased := "http: {read_timeout: &to 7s}\n" + natsYAML + "  sign: {key_file: \"${HG_TEST_UNSET_KEY}\"}\n" + providers +
		strings.Replace(deliveries("Authorization"), "timeout: 5s", "timeout: *to", 1)
	if cfg, err := LoadClient(write("aliased.yaml", aliased)); err != nil || time.Duration(cfg.Deliveries[0].Timeout) != 7*time.Second {
		t.Errorf("LoadClient with an alias of a pruned anchor and an unset sign key variable = %v; want the delivery's timeout 7s", err)
	}
	if _, err := LoadClient("../config.example.yaml"); err != nil {
		t.Errorf("LoadClient(config.example.yaml) = %v", err)
	}
}
