package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/internal/testkit"
)

// TestRoutesCommand signs requests with `hookgate sign` and shows with
// `hookgate routes` which routes match and what would be forwarded.
func TestRoutesCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := testkit.WriteFile(t, dir, "config.yaml", testkit.GatewayYAML(dir, `providers:
  - name: shop
    type: stripe
    secrets: [whsec_a]
routes:
  - name: big
    when: 'type == "invoice.paid" && body.data.object.amount_paid > 100000'
    subject: "webhooks.priority.{provider}.{type}"
    headers: {Hookgate-Priority: high}
  - name: no-pings
    when: 'type == "ping"'
    action: drop
  - name: broken
    when: 'body.nope.deeper == 1'
    subject: webhooks.never`))
	run := func(want int, args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if code := Run(context.Background(), args, &out, &out); code != want {
			t.Fatalf("hookgate %v: exit %d; want %d\n%s", args, code, want, out.String())
		}
		return out.String()
	}
	request := func(name, body, secret string) string {
		bodyFile := testkit.WriteFile(t, dir, name+".body", body)
		args := []string{"sign", "-config", cfg, "-provider", "shop", "-body", bodyFile}
		if secret != "" {
			args = []string{"sign", "-type", "stripe", "-secret", secret, "-url", "http://127.0.0.1:8080/webhooks/shop", "-body", bodyFile}
		}
		return testkit.WriteFile(t, dir, name+".json", run(0, args...))
	}
	for _, c := range []struct {
		name, body, secret string
		want, not          []string
	}{
		{name: "big", body: `{"id":"evt_1","type":"invoice.paid","data":{"object":{"amount_paid":250000}}}`,
			want: []string{"signature: valid", "event:     evt_1 (type invoice.paid)", "routes:    [big] matched",
				"message 1: webhooks.priority.shop.invoice.paid", "Nats-Msg-Id: shop@big:evt_1", "Hookgate-Route: big", "Hookgate-Priority: high",
				"message 2: webhooks.shop.invoice.paid", "Nats-Msg-Id: shop:evt_1\n",
				`route error (no match): route "broken": no such key: nope`},
			not: []string{"message 3"}},
		{name: "small", body: `{"id":"evt_2","type":"invoice.paid","data":{"object":{"amount_paid":5}}}`,
			want: []string{"routes:    none matched", "message 1: webhooks.shop.invoice.paid"}, not: []string{"message 2"}},
		{name: "ping", body: `{"id":"evt_3","type":"ping"}`,
			want: []string{"routes:    [no-pings] matched", "dropped by route no-pings"}, not: []string{"message 1"}},
		{name: "forged", body: `{"id":"evt_4","type":"ping"}`, secret: "whsec_other",
			want: []string{"signature: INVALID", "dropped by route no-pings"}},
	} {
		out := run(0, "routes", "-config", cfg, "-request", request(c.name, c.body, c.secret))
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.name, w, out)
			}
		}
		for _, n := range c.not {
			if strings.Contains(out, n) {
				t.Errorf("%s: output has %q:\n%s", c.name, n, out)
			}
		}
	}
	if out := run(2, "routes", "-config", cfg, "-provider", "nope", "-request", request("x", `{}`, "")); !strings.Contains(out, `no provider "nope"`) {
		t.Errorf("unknown provider: %s", out)
	}
}

// TestReplayRouteFlag: replay -route names a route of the config, or is
// refused before anything is queued; a route that makes no copy of the
// events matched queues nothing, and the replay exits 1 saying so (it
// said "1 events (0 messages ...) queued" and exited 0).
func TestReplayRouteFlag(t *testing.T) {
	cfg := archiveFixture(t, true)
	var out bytes.Buffer
	if code := Run(context.Background(), []string{"replay", "-config", cfg, "-provider", "shop", "-route", "nope"}, &out, &out); code != 2 || !strings.Contains(out.String(), `no route "nope"`) {
		t.Errorf("replay -route nope: exit %d\n%s; want 2 naming the route", code, out.String())
	}
	src, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	src = append(src, `routes: [{name: big, when: 'type == "invoice.paid"', subject: "webhooks.priority.{provider}.{type}"}]`+"\n"...)
	if err := os.WriteFile(cfg, src, 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	code := Run(context.Background(), []string{"replay", "-config", cfg, "-id", "a1", "-route", "big"}, &out, &out)
	if want := `nothing queued: 1 archived event matches, but route "big", as the routes are now, makes no copy of it`; code != 1 || !strings.Contains(out.String(), want) {
		t.Errorf("replay -route big of an event it does not match: exit %d\n%s; want 1 saying %q", code, out.String(), want)
	}
}
