package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/internal/testkit"
)

// TestAsyncAPICommand prints a config's AsyncAPI document in YAML and in
// JSON, and refuses a bad config and stray arguments like the other
// commands. The document itself is package asyncapi's to test.
func TestAsyncAPICommand(t *testing.T) {
	dir := t.TempDir()
	good := testkit.WriteFile(t, dir, "good.yaml", testkit.GatewayYAML(dir, `providers:
  - {name: shop, type: stripe, secrets: [whsec_a], envelope: json}
routes:
  - {name: audit, subject: "webhooks.audit.{provider}.{type}"}`))
	bad := testkit.WriteFile(t, dir, "bad.yaml", "providers:\n  - {name: shop, type: nope, secrets: [s]}\n")
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"yaml", []string{"asyncapi", "-config", good}, 0,
			[]string{"asyncapi: 3.0.0\n", "    address: webhooks.shop.{type}\n", "    address: webhooks.audit.shop.{type}\n", "      contentType: application/json\n"}},
		{"bad config", []string{"asyncapi", "-config", bad}, 1, []string{`hookgate: config: providers[0] (shop).type: unknown type "nope"`}},
		{"missing config", []string{"asyncapi", "-config", dir + "/none.yaml"}, 1, []string{"no such file"}},
		{"stray argument", []string{"asyncapi", "-config", good, "extra"}, 2, []string{`unexpected argument "extra"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			if code := Run(context.Background(), c.args, &out, &out); code != c.code {
				t.Fatalf("hookgate %v: exit %d; want %d\n%s", c.args, code, c.code, out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("hookgate %v said:\n%s\nwant it to say %q", c.args, out.String(), w)
				}
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		var out bytes.Buffer
		if code := Run(context.Background(), []string{"asyncapi", "-json", "-config", good}, &out, &out); code != 0 {
			t.Fatalf("hookgate asyncapi -json: exit %d\n%s", code, out.String())
		}
		var doc struct {
			AsyncAPI string                     `json:"asyncapi"`
			Channels map[string]json.RawMessage `json:"channels"`
		}
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.AsyncAPI != "3.0.0" || len(doc.Channels) != 2 {
			t.Errorf("hookgate asyncapi -json: %v, asyncapi %q, %d channels; want JSON of 3.0.0 with 2 channels\n%s", err, doc.AsyncAPI, len(doc.Channels), out.String())
		}
	})
}
