package asyncapi_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/hookgate/hookgate/asyncapi"
	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/internal/configtest"
)

// specSchema is the official AsyncAPI 3.0.0 JSON schema, compiled once
// (testdata/README.md says where it comes from).
var specSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	return c.Compile("testdata/asyncapi-3.0.0.json")
})

// mustSpec returns the compiled AsyncAPI 3.0.0 schema.
func mustSpec(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	s, err := specSchema()
	if err != nil {
		tb.Fatalf("compile the AsyncAPI schema: %v", err)
	}
	return s
}

// decodeJSON decodes a JSON document as the validator reads it.
func decodeJSON(tb testing.TB, b []byte) any {
	tb.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("the document is not JSON: %v", err)
	}
	return v
}

// mustDocument builds the document of cfg and returns it with
// its JSON, decoded, after checking that it validates against the
// AsyncAPI schema, and that its YAML says the same.
func mustDocument(tb testing.TB, cfg *config.Config) (*asyncapi.Document, any) {
	tb.Helper()
	doc := asyncapi.New(cfg, asyncapi.Options{Version: "1.2.3"})
	j, err := doc.JSON()
	if err != nil {
		tb.Fatal(err)
	}
	v := decodeJSON(tb, j)
	if err := mustSpec(tb).Validate(v); err != nil {
		tb.Fatalf("the JSON document is not valid AsyncAPI 3.0.0: %v\n%s", err, j)
	}
	y, err := doc.YAML()
	if err != nil {
		tb.Fatal(err)
	}
	var fromYAML any
	if err := yaml.Unmarshal(y, &fromYAML); err != nil {
		tb.Fatalf("the YAML document does not parse: %v\n%s", err, y)
	}
	// Through JSON, so that both have the validator's types.
	yj, err := json.Marshal(fromYAML)
	if err != nil {
		tb.Fatal(err)
	}
	if yv := decodeJSON(tb, yj); !reflect.DeepEqual(yv, v) {
		tb.Fatalf("the YAML document differs from the JSON one:\n%s\n%s", y, j)
	}
	return doc, v
}

// provider lines for the configs below.
const (
	stripeLine = "  - {name: stripe, type: stripe, secrets: [whsec_a], ordering: {key: data.object.id, version: created}}\n"
	githubLine = "  - {name: github, type: github, secrets: [s]}\n"
)

// documentCase is a config, the channels of its document and what else
// to check in it.
type documentCase struct {
	name   string
	config string
	// channels are the channel IDs and their addresses.
	channels map[string]string
	check    func(t *testing.T, d *asyncapi.Document)
}

// documentCases are the configs of TestDocumentValidates.
var documentCases = []documentCase{
	{
		// testdata/bus-signing.pem is a key made for this test.
		name:     "signed messages",
		config:   "nats: {sign: {key_file: testdata/bus-signing.pem}}\nproviders:\n" + githubLine,
		channels: map[string]string{"github": "webhooks.github.{type}"},
		check: func(t *testing.T, d *asyncapi.Document) {
			wantRequired(t, d.Components.Messages["github"].Headers, "Hookgate-Signature")
		},
	},
	{
		name:     "one provider, defaults",
		config:   "providers:\n" + githubLine,
		channels: map[string]string{"github": "webhooks.github.{type}"},
		check: func(t *testing.T, d *asyncapi.Document) {
			if s := d.Servers["nats"]; s == nil || s.Host != "127.0.0.1:4222" || s.Protocol != "nats" {
				t.Errorf("servers = %+v; want nats at 127.0.0.1:4222", d.Servers)
			}
			h := d.Components.Messages["github"].Headers
			wantRequired(t, h, "Hookgate-Event-Id", "Hookgate-Event-Type", "Hookgate-Provider", "Hookgate-Received-At", "Nats-Msg-Id")
			wantOptional(t, h, "Content-Type", "Hookgate-Replay", "Hookgate-Signature")
			wantAbsent(t, h, "Hookgate-Ordering-Key", "Hookgate-Route", "Hookgate-Stale", "ce-id")
			if got := h.Properties["Hookgate-Provider"].Const; got != "github" {
				t.Errorf("Hookgate-Provider const = %q; want github", got)
			}
			if m := d.Components.Messages["github"]; m.ContentType != "" || m.Payload.Type != "" {
				t.Errorf("raw payload: contentType %q, type %q; want neither (the body as it came)", m.ContentType, m.Payload.Type)
			}
			if desc := d.Components.Messages["github"].Description; !strings.Contains(desc, "`header:X-GitHub-Event` + `action`") ||
				!strings.Contains(desc, "catalogue lists no event types for github") {
				t.Errorf("description %q; want the type's sources, and that the catalogue lists no types", desc)
			}
		},
	},
	{
		name: "routes",
		config: "providers:\n" + stripeLine + githubLine + `routes:
  - {name: big, providers: [stripe], when: 'type == "invoice.paid"', subject: "webhooks.priority.{provider}.{type}", headers: {x-priority: high}}
  - {name: audit, subject: "webhooks.audit.{provider}.{type}"}
  - {name: all, subject: webhooks.all}
  - {name: no-pings, when: 'type == "ping"', action: drop}
`,
		channels: map[string]string{
			"stripe": "webhooks.stripe.{type}", "github": "webhooks.github.{type}",
			"route.big": "webhooks.priority.stripe.{type}", "route.audit": "webhooks.audit.{provider}.{type}", "route.all": "webhooks.all",
		},
		check: func(t *testing.T, d *asyncapi.Document) {
			if got := slices.Sorted(maps.Keys(d.Channels["route.audit"].Messages)); !slices.Equal(got, []string{"route.audit.github", "route.audit.stripe"}) {
				t.Errorf("route.audit messages = %v; want one per provider", got)
			}
			if p := d.Channels["route.audit"].Parameters["provider"]; p == nil || !slices.Equal(p.Enum, []string{"stripe", "github"}) {
				t.Errorf("route.audit's provider parameter = %+v; want the enum [stripe github]", p)
			}
			h := d.Components.Messages["route.big.stripe"].Headers
			wantRequired(t, h, "Hookgate-Route", "X-Priority", "Nats-Msg-Id")
			if h.Properties["Hookgate-Route"].Const != "big" || h.Properties["X-Priority"].Const != "high" {
				t.Errorf("route.big headers: Hookgate-Route %+v, X-Priority %+v; want big and high", h.Properties["Hookgate-Route"], h.Properties["X-Priority"])
			}
			if !strings.Contains(d.Info.Description, "Route no-pings drops") {
				t.Errorf("info.description %q does not name the drop route", d.Info.Description)
			}
		},
	},
	{
		name:     "cloudevents envelope",
		config:   "envelope: cloudevents\nproviders:\n" + stripeLine + githubLine,
		channels: map[string]string{"stripe": "webhooks.stripe.{type}", "github": "webhooks.github.{type}"},
		check: func(t *testing.T, d *asyncapi.Document) {
			h := d.Components.Messages["stripe"].Headers
			wantRequired(t, h, "ce-specversion", "ce-id", "ce-source", "ce-type", "ce-time")
			wantOptional(t, h, "ce-subject", "ce-datacontenttype", "Hookgate-Ordering-Key", "Hookgate-Ordering-Version")
			if got := h.Properties["ce-source"].Const; got != "hookgate/stripe" {
				t.Errorf("ce-source const = %q", got)
			}
			wantAbsent(t, d.Components.Messages["github"].Headers, "ce-subject") // not ordered
		},
	},
	{
		name: "json envelope",
		config: "envelope: json\nproviders:\n" + stripeLine +
			"  - {name: shop, type: hmac, secrets: [s], options: {header: X-Sig}, identify: {event_type: topic}}\n",
		channels: map[string]string{"stripe": "webhooks.stripe.{type}", "shop": "webhooks.shop.{type}"},
		check: func(t *testing.T, d *asyncapi.Document) {
			m := d.Components.Messages["stripe"]
			if m.ContentType != "application/json" || m.Payload.Type != "object" {
				t.Errorf("json envelope: contentType %q, payload type %q; want application/json and object", m.ContentType, m.Payload.Type)
			}
			wantRequired(t, m.Headers, "Content-Type")
			wantRequired(t, m.Payload, "id", "provider", "received_at")
			wantOptional(t, m.Payload, "type", "created_at", "api_version", "data", "data_base64", "content_type")
			wantAbsent(t, d.Components.Messages["shop"].Payload, "created_at", "api_version") // the hmac scheme names neither
			if desc := d.Components.Messages["shop"].Description; !strings.Contains(desc, "`topic` (identify.event_type)") {
				t.Errorf("shop description %q; want the configured type source", desc)
			}
		},
	},
	{
		name:   "stale forward",
		config: "providers:\n  - {name: stripe, type: stripe, secrets: [whsec_a], ordering: {key: data.object.id, version: created, stale: forward, stale_subject: \"webhooks.late.{provider}.{type}\"}}\n",
		channels: map[string]string{
			"stripe": "webhooks.stripe.{type}", "stale.stripe": "webhooks.late.stripe.{type}",
		},
		check: func(t *testing.T, d *asyncapi.Document) {
			h := d.Components.Messages["stale.stripe"].Headers
			wantRequired(t, h, "Hookgate-Stale", "Hookgate-Current-Version", "Hookgate-Ordering-Key", "Hookgate-Ordering-Version")
			wantAbsent(t, d.Components.Messages["stripe"].Headers, "Hookgate-Stale")
		},
	},
	{
		name:     "pass_headers and a subject of its own",
		config:   "providers:\n  - {name: gh, type: github, secrets: [s], pass_headers: [x-github-hook-id, X-Request-Id], subject: \"hooks.{provider}\"}\nnats: {subjects: [\"hooks.>\"]}\n",
		channels: map[string]string{"gh": "hooks.gh"},
		check: func(t *testing.T, d *asyncapi.Document) {
			wantOptional(t, d.Components.Messages["gh"].Headers, "X-Github-Hook-Id", "X-Request-Id")
			if d.Channels["gh"].Parameters != nil {
				t.Errorf("a subject without {type} has parameters %v", d.Channels["gh"].Parameters)
			}
		},
	},
	{
		name:     "nats url",
		config:   "nats: {url: \"nats://hookgate:s3cret@nats-a.internal:4223, tls://nats-b.internal\"}\nproviders:\n" + githubLine,
		channels: map[string]string{"github": "webhooks.github.{type}"},
		check: func(t *testing.T, d *asyncapi.Document) {
			if a, b := d.Servers["nats-1"], d.Servers["nats-2"]; a == nil || b == nil || a.Host != "nats-a.internal:4223" || b.Host != "nats-b.internal:4222" {
				t.Errorf("servers = %v; want nats-a.internal:4223 and nats-b.internal:4222", d.Servers)
			}
			j, _ := d.JSON()
			if bytes.Contains(j, []byte("s3cret")) {
				t.Error("the document holds nats.url's password")
			}
		},
	},
	{
		name:     "embedded server on a random port, every interface",
		config:   "nats: {host: 0.0.0.0, port: -1, users: [{user: billing, password: pw}]}\nproviders:\n" + githubLine,
		channels: map[string]string{"github": "webhooks.github.{type}"},
		check: func(t *testing.T, d *asyncapi.Document) {
			s := d.Servers["nats"]
			if s == nil || s.Host != "{host}:{port}" || s.Variables["host"] == nil || s.Variables["port"] == nil {
				t.Errorf("server = %+v; want {host}:{port} with both variables", s)
			}
			j, _ := d.JSON()
			if bytes.Contains(j, []byte(`"pw"`)) {
				t.Error("the document holds a user's password")
			}
		},
	},
}

// TestDocumentValidates builds the document of each of documentCases and
// validates it against the official AsyncAPI 3.0.0 schema, in JSON and in
// YAML, and checks its channels and operations.
func TestDocumentValidates(t *testing.T) {
	for _, c := range documentCases {
		t.Run(c.name, func(t *testing.T) {
			cfg := configtest.Config(t, "data_dir: "+t.TempDir()+"\n"+c.config)
			d, _ := mustDocument(t, cfg)
			got := map[string]string{}
			for id, ch := range d.Channels {
				got[id] = ch.Address
				if op := d.Operations[id]; op == nil || op.Action != "send" || op.Channel.Ref != "#/channels/"+id || len(op.Messages) != len(ch.Messages) {
					t.Errorf("operation %s = %+v; want send on its channel, with its %d messages", id, op, len(ch.Messages))
				}
			}
			if !maps.Equal(got, c.channels) {
				t.Errorf("channels = %v; want %v", got, c.channels)
			}
			if len(d.Operations) != len(d.Channels) {
				t.Errorf("%d operations for %d channels; want one each", len(d.Operations), len(d.Channels))
			}
			if c.check != nil {
				c.check(t, d)
			}
		})
	}
}

// TestExampleConfig: the document of config.example.yaml, the
// quick start's embedded server, validates.
func TestExampleConfig(t *testing.T) {
	cfg, err := config.Load("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := mustDocument(t, cfg)
	if d.Channels["demo"] == nil || d.Channels["demo"].Address != "webhooks.demo.{type}" {
		t.Errorf("channels = %v; want demo on webhooks.demo.{type}", slices.Sorted(maps.Keys(d.Channels)))
	}
}

// TestBrokenDocumentsFail: the validation is real: documents broken in
// one place each fail it.
func TestBrokenDocumentsFail(t *testing.T) {
	cfg := configtest.Config(t, "data_dir: "+t.TempDir()+"\nenvelope: json\nproviders:\n"+stripeLine+githubLine+
		"routes:\n  - {name: audit, subject: \"webhooks.audit.{provider}.{type}\"}\n")
	_, valid := mustDocument(t, cfg)
	for _, c := range []struct {
		name   string
		mutate func(doc map[string]any)
	}{
		{"another version", func(d map[string]any) { d["asyncapi"] = "2.6.0" }},
		{"no info.version", func(d map[string]any) { delete(obj(d, "info"), "version") }},
		{"a member the specification lacks", func(d map[string]any) { d["topics"] = map[string]any{} }},
		{"operation action publish (AsyncAPI 2)", func(d map[string]any) { obj(d, "operations", "stripe")["action"] = "publish" }},
		{"operation without a channel", func(d map[string]any) { delete(obj(d, "operations", "stripe"), "channel") }},
		{"server without a protocol", func(d map[string]any) { delete(obj(d, "servers", "nats"), "protocol") }},
		{"channel address a number", func(d map[string]any) { obj(d, "channels", "stripe")["address"] = json.Number("42") }},
		{"parameter enum of numbers", func(d map[string]any) {
			obj(d, "channels", "route.audit", "parameters", "provider")["enum"] = []any{json.Number("1")}
		}},
		{"headers schema of an unknown type", func(d map[string]any) { obj(d, "components", "messages", "stripe", "headers")["type"] = "header" }},
		{"headers required a string", func(d map[string]any) {
			obj(d, "components", "messages", "stripe", "headers")["required"] = "Nats-Msg-Id"
		}},
		{"message contentType a list", func(d map[string]any) {
			obj(d, "components", "messages", "stripe")["contentType"] = []any{"application/json"}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := decodeJSON(t, mustMarshal(t, valid)).(map[string]any) // a copy
			c.mutate(d)
			if err := mustSpec(t).Validate(d); err == nil {
				t.Errorf("Validate(document with %s) = nil; want an error", c.name)
			}
		})
	}
}

// obj returns the object at path in doc, failing when there is none.
func obj(doc map[string]any, path ...string) map[string]any {
	for _, p := range path {
		doc = doc[p].(map[string]any)
	}
	return doc
}

// mustMarshal encodes v as JSON.
func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// wantRequired checks that the object schema s requires names.
func wantRequired(t *testing.T, s *asyncapi.Schema, names ...string) {
	t.Helper()
	for _, n := range names {
		if s.Properties[n] == nil || !slices.Contains(s.Required, n) {
			t.Errorf("%s: not a required property (properties %v, required %v)", n, slices.Sorted(maps.Keys(s.Properties)), s.Required)
		}
	}
}

// wantOptional checks that the object schema s describes names without
// requiring them.
func wantOptional(t *testing.T, s *asyncapi.Schema, names ...string) {
	t.Helper()
	for _, n := range names {
		if s.Properties[n] == nil || slices.Contains(s.Required, n) {
			t.Errorf("%s: not an optional property (properties %v, required %v)", n, slices.Sorted(maps.Keys(s.Properties)), s.Required)
		}
	}
}

// wantAbsent checks that the object schema s does not describe names.
func wantAbsent(t *testing.T, s *asyncapi.Schema, names ...string) {
	t.Helper()
	for _, n := range names {
		if s.Properties[n] != nil {
			t.Errorf("%s: described; want it absent", n)
		}
	}
}
