package config

import (
	"strings"
	"testing"
	"time"
)

func TestDeliveries(t *testing.T) {
	const provider = "providers: [{name: shop, type: github, secrets: [s]}]\n"
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{"valid", `deliveries:
  - {name: orders, url: "https://orders.internal/hooks", subjects: ["webhooks.shop.>"], headers: {Authorization: "Bearer x"},
     timeout: 5s, concurrency: 4, max_deliver: 10, backoff: [1s, 10s]}
  - {name: audit, url: "http://127.0.0.1:9000/"}`, nil},
		{"no name", `deliveries: [{url: "https://x/"}]`, []string{`deliveries[0].name: "": a delivery needs a name`}},
		{"name with a dot", `deliveries: [{name: a.b, url: "https://x/"}]`, []string{`deliveries[0] (a.b).name`}},
		{"same name twice", `deliveries: [{name: a, url: "https://x/"}, {name: a, url: "https://y/"}]`, []string{`deliveries[1] (a).name: "a" is also the name of deliveries[0]`}},
		{"no url", `deliveries: [{name: a}]`, []string{`deliveries[0] (a).url: "" is not an http or https URL`}},
		{"ftp url", `deliveries: [{name: a, url: "ftp://x/"}]`, []string{`deliveries[0] (a).url: "ftp://x/" is not an http or https URL`}},
		{"subject outside the stream", `deliveries: [{name: a, url: "https://x/", subjects: ["orders.>"]}]`, []string{`deliveries[0] (a).subjects[0]: "orders.>" is not inside the stream's subjects`}},
		{"bad subject", `deliveries: [{name: a, url: "https://x/", subjects: ["webhooks..x"]}]`, []string{`deliveries[0] (a).subjects[0]: "webhooks..x"`}},
		{"reserved header", `deliveries: [{name: a, url: "https://x/", headers: {Hookgate-Event-Id: x}}]`, []string{`deliveries[0] (a).headers: Hookgate-Event-Id is set by the message or the delivery itself`}},
		{"negative", `deliveries: [{name: a, url: "https://x/", concurrency: -1, backoff: [0s]}]`, []string{"deliveries[0] (a).timeout: timeout, concurrency and max_deliver must be positive", "deliveries[0] (a).backoff[0]: must be positive"}},
		{"missing key", `deliveries: [{name: a, url: "https://x/", verify_keys: [/nonexistent.pub]}]`, []string{"deliveries[0] (a).verify_keys[0]:", "/nonexistent.pub"}},
		{"core mode", "nats: {mode: core}\ndeliveries: [{name: a, url: \"https://x/\"}]", []string{"nats.mode must be jetstream"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := validateErr(t, c.src+"\n"+provider)
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v; want nil", err)
				}
				return
			}
			for _, w := range c.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v; want it to hold %q", err, w)
				}
			}
		})
	}
	err := validateErr(t, `deliveries: [{name: a, url: "https://x/", headers: {x-trace: t}}]`+"\nproviders: [{name: shop, type: github, secrets: [s], pass_headers: [X-Trace]}]\n")
	if want := "deliveries[0] (a).headers: x-trace is passed through from provider shop's requests (pass_headers)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a delivery header that a provider passes through: Validate = %v; want it to hold %q", err, want)
	}
	cfg, err := readValidate(t, `deliveries: [{name: orders, url: "https://x/", timeout: 5s, backoff: [1s, 10s]}]`+"\n"+provider)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := cfg.Deliveries[0].Target("WEBHOOKS", nil)
	if err != nil || tg.Name != "orders" || tg.Timeout != 5*time.Second || len(tg.Backoff) != 2 || tg.Backoff[1] != 10*time.Second || tg.Verify != nil {
		t.Errorf("Target = %+v, %v", tg, err)
	}
}
