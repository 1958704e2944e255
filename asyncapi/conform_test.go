package asyncapi_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/gateway"
	"github.com/hookgate/hookgate/internal/configtest"
	"github.com/hookgate/hookgate/internal/testkit"
)

// conformConfig has a provider per envelope, ordering with stale events
// forwarded, pass_headers, routes that copy and drop, and the archive
// for a replay.
const conformConfig = `
archive: {enabled: true}
providers:
  - name: pay
    type: stripe
    secrets: [whsec_conform]
    ordering: {key: data.object.id, version: created, stale: forward}
    pass_headers: [X-Request-Id]
  - name: pay-ce
    type: stripe
    secrets: [whsec_conform]
    ordering: {key: data.object.id, version: created}
    envelope: cloudevents
  - name: pay-json
    type: stripe
    secrets: [whsec_conform]
    envelope: json
routes:
  - {name: no-pings, when: 'type == "ping"', action: drop}
  - {name: big, providers: [pay], when: 'type == "invoice.paid"', subject: "webhooks.priority.{type}", headers: {x-priority: high}}
  - {name: audit, subject: "webhooks.audit.{provider}.{type}"}
`

// TestMessagesConform runs a real gateway and checks every message it
// publishes against the document of its config: its subject is a
// channel's address, and its headers and payload validate against one of
// that channel's messages, which describes every header it has. Every
// message of the document is met, and a replay's copies conform too.
func TestMessagesConform(t *testing.T) {
	dir := t.TempDir()
	cfg := configtest.Config(t, testkit.GatewayYAML(filepath.Join(dir, "data"), testkit.EmbeddedNATS, conformConfig))
	_, doc := mustDocument(t, cfg)
	s, err := gateway.Open(context.Background(), cfg, gateway.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	base := "http://" + s.Addr().String() + "/webhooks/"
	for _, r := range []struct {
		provider, contentType, body string
		header                      http.Header
	}{
		{"pay", "application/json", stripeEvent("evt_2", "invoice.paid", "in_1", 200), http.Header{"X-Request-Id": {"req-1"}}},
		{"pay", "application/json", stripeEvent("evt_1", "invoice.paid", "in_1", 100), nil}, // stale
		{"pay-ce", "application/json; charset=utf-8", stripeEvent("evt_3", "customer.created", "cus_1", 300), nil},
		{"pay-json", "application/json", stripeEvent("evt_4", "invoice.paid", "in_2", 400), nil},
		{"pay-json", "application/x-www-form-urlencoded", "a=b&c=d", nil},
		{"pay-json", "", "\xff\xfe binary", nil},
		{"pay-json", "application/json", stripeEvent("evt_5", "ping", "p", 500), nil}, // dropped
	} {
		req := testkit.SignedRequest(t, "stripe", "whsec_conform", base+r.provider, r.body)
		if r.contentType != "" {
			req.Header.Set("Content-Type", r.contentType)
		}
		for k, v := range r.header {
			req.Header[k] = v
		}
		if code, answer := testkit.Do(t, req); code != http.StatusAccepted && code != http.StatusOK {
			t.Fatalf("POST %s %q: %d %s", r.provider, r.body, code, answer)
		}
	}
	streamMessages(t, s.NATSURL(), 12)
	// pay's events again: its accepted one with its copies, and its stale one.
	expand, err := gateway.ReplayExpander(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Replay(context.Background(), forward.Query{Provider: "pay", Expand: expand}, ""); err != nil {
		t.Fatal(err)
	}
	met, replays := map[string]bool{}, 0
	for _, m := range streamMessages(t, s.NATSURL(), 16) {
		id, err := conforms(doc, m.Subject(), m.Headers(), m.Data())
		if err != nil {
			t.Errorf("message on %s does not conform: %v\nheaders %v\nbody %q", m.Subject(), err, m.Headers(), m.Data())
			continue
		}
		met[id] = true
		if m.Headers().Get(forward.HeaderReplay) != "" {
			replays++
		}
	}
	if replays != 4 {
		t.Errorf("%d replayed messages; want 4", replays)
	}
	if want := slices.Sorted(maps.Keys(obj(doc.(map[string]any), "components", "messages"))); !slices.Equal(slices.Sorted(maps.Keys(met)), want) {
		t.Errorf("messages met: %v; want every one of the document's %v", slices.Sorted(maps.Keys(met)), want)
	}
}

// stripeEvent is a Stripe event body about object obj, created at created.
func stripeEvent(id, typ, obj string, created int64) string {
	return fmt.Sprintf(`{"id":%q,"type":%q,"created":%d,"api_version":"2024-06-20","data":{"object":{"id":%q}}}`, id, typ, created, obj)
}

// streamMessages waits until the gateway's stream holds n messages and
// returns them.
func streamMessages(tb testing.TB, url string, n int) []jetstream.Msg {
	tb.Helper()
	_, js := testkit.JetStream(tb, url)
	ctx := context.Background()
	st, err := js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		tb.Fatal(err)
	}
	var have uint64
	testkit.WaitFor(tb, 10*time.Second, func() string { return fmt.Sprintf("the stream has %d messages; want %d", have, n) }, func() bool {
		info, err := st.Info(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		have = info.State.Msgs
		return have >= uint64(n)
	})
	if have != uint64(n) {
		tb.Fatalf("the stream has %d messages; want %d", have, n)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	batch, err := cons.FetchNoWait(n)
	if err != nil {
		tb.Fatal(err)
	}
	var out []jetstream.Msg
	for m := range batch.Messages() {
		out = append(out, m)
	}
	if len(out) != n {
		tb.Fatalf("fetched %d messages; want %d (%v)", len(out), n, batch.Error())
	}
	return out
}

// conforms finds the message of doc that a NATS message is, and returns
// its ID: one on a channel whose address matches subject, whose headers
// and payload schemas the message validates against, and which describes
// every header the message has.
func conforms(doc any, subject string, hdr map[string][]string, body []byte) (string, error) {
	headers := map[string]any{}
	for k, v := range hdr {
		if len(v) != 1 {
			return "", fmt.Errorf("header %s has %d values; the document says one", k, len(v))
		}
		headers[k] = v[0]
	}
	d := doc.(map[string]any)
	var tried []string
	for id, ch := range obj(d, "channels") {
		ch := ch.(map[string]any)
		if !addressMatches(ch, subject) {
			continue
		}
		for msgID := range ch["messages"].(map[string]any) {
			m := obj(d, "components", "messages", msgID)
			err := validates(m, headers, body)
			if err == nil {
				return msgID, nil
			}
			tried = append(tried, fmt.Sprintf("%s/%s: %v", id, msgID, err))
		}
	}
	if tried == nil {
		return "", fmt.Errorf("no channel's address matches %s", subject)
	}
	return "", fmt.Errorf("no message fits:\n%s", strings.Join(tried, "\n"))
}

// addressMatches reports whether subject is one of the channel ch's: its
// address with each {parameter} one of the parameter's enum, or one or
// more tokens when it has none.
func addressMatches(ch map[string]any, subject string) bool {
	params, _ := ch["parameters"].(map[string]any)
	expr := regexp.MustCompile(`\\\{\w+\\\}`).ReplaceAllStringFunc(regexp.QuoteMeta(ch["address"].(string)), func(p string) string {
		param, _ := params[strings.Trim(p, `\{}`)].(map[string]any)
		enum, _ := param["enum"].([]any)
		if len(enum) == 0 {
			return "(.+)"
		}
		alts := make([]string, len(enum))
		for i, v := range enum {
			alts[i] = regexp.QuoteMeta(v.(string))
		}
		return "(" + strings.Join(alts, "|") + ")"
	})
	return regexp.MustCompile("^" + expr + "$").MatchString(subject)
}

// validates checks headers and body against the message m of the
// document.
func validates(m map[string]any, headers map[string]any, body []byte) error {
	hs := m["headers"].(map[string]any)
	for k := range headers {
		if _, ok := hs["properties"].(map[string]any)[k]; !ok {
			return fmt.Errorf("header %s is not described", k)
		}
	}
	if err := compile(hs).Validate(headers); err != nil {
		return fmt.Errorf("headers: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		if m["contentType"] == "application/json" {
			return fmt.Errorf("the payload is not JSON: %v", err)
		}
		return nil // the body as it came, which need not be JSON
	}
	if err := compile(m["payload"].(map[string]any)).Validate(v); err != nil {
		return fmt.Errorf("payload: %v", err)
	}
	return nil
}

// compile compiles a schema of the document, asserting formats and
// content encodings.
func compile(schema map[string]any) *jsonschema.Schema {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	c.AssertContent()
	if err := c.AddResource("schema.json", schema); err != nil {
		panic(err)
	}
	return c.MustCompile("schema.json")
}
