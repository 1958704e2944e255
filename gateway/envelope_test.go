package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
	"unicode/utf8"

	natsce "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/nats-io/nats.go"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/verify"
)

// envelopeEvent builds the provider of providers (one, YAML) and the
// message it makes of a request with h and body, received at now.
func envelopeEvent(tb testing.TB, providers string, h http.Header, body string, now time.Time) *forward.Message {
	tb.Helper()
	ps, err := buildProviders(mustValid(tb, "listen: 127.0.0.1:0\nproviders:\n"+providers), false)
	if err != nil {
		tb.Fatal(err)
	}
	p := ps[0]
	id, err := p.ident.identify(h, []byte(body), verify.Result{})
	if err != nil {
		tb.Fatal(err)
	}
	ev, err := p.event(id, h, []byte(body), now)
	if err != nil {
		tb.Fatal(err)
	}
	return &ev.Message
}

// members decodes a json envelope's top level, each member kept raw.
func members(tb testing.TB, b []byte) map[string]json.RawMessage {
	tb.Helper()
	if !json.Valid(b) {
		tb.Fatalf("envelope is not valid JSON: %s", b)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

var envelopeNow = time.Date(2024, 5, 6, 7, 8, 9, 123000000, time.UTC)

// TestJSONEnvelopeStripe: the json envelope of a Stripe event embeds the
// body byte for byte (its odd spacing included) as data, and reads
// created (unix seconds, as RFC 3339) and api_version from it; the
// Hookgate-* headers are those of a raw message, and Content-Type is
// application/json.
func TestJSONEnvelopeStripe(t *testing.T) {
	body := `{ "id":"evt_1",  "type":"invoice.paid","created":1700000000,"api_version":"2024-06-20",
 "data":{"object":{"amount":1.50e2,"note":"caf\u00e9"}}}`
	m := envelopeEvent(t, providerYAML("pay", "stripe", "whsec_x", "envelope: json"),
		http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body, envelopeNow)
	if !bytes.Contains(m.Body, []byte(`"data":`+body)) {
		t.Errorf("envelope does not hold the body byte for byte as data: %s", m.Body)
	}
	got := members(t, m.Body)
	want := map[string]string{
		"id": `"evt_1"`, "type": `"invoice.paid"`, "provider": `"pay"`, "created_at": `"2023-11-14T22:13:20Z"`,
		"api_version": `"2024-06-20"`, "received_at": `"2024-05-06T07:08:09.123Z"`, "data": body,
	}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("%s = %s; want %s", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("envelope members %v; want exactly %v", keys(got), want)
	}
	for h, v := range map[string]string{
		forward.HeaderEventID: "evt_1", forward.HeaderEventType: "invoice.paid", forward.HeaderProvider: "pay",
		forward.HeaderReceivedAt: "2024-05-06T07:08:09.123Z", "Content-Type": "application/json",
	} {
		if got := m.Header.Get(h); got != v {
			t.Errorf("header %s = %q; want %q", h, got, v)
		}
	}
	if m.Header.Get("ce-id") != "" {
		t.Errorf("json envelope set CloudEvents headers: %v", m.Header)
	}
}

func keys(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// TestJSONEnvelopeOmitsAbsentFields: a provider without envelope fields
// (GitHub), and a Stripe event whose api_version is null and created is
// missing, get no created_at or api_version: nothing is invented. An
// event without a type has no type member.
func TestJSONEnvelopeOmitsAbsentFields(t *testing.T) {
	for _, c := range []struct{ name, providers, body string }{
		{"github", providerYAML("gh", "github", "s3cret", "envelope: json", "identify: {event_type: [header:X-None]}"), `{"action":"opened","created":1700000000,"api_version":"x"}`},
		{"stripe nulls", providerYAML("pay", "stripe", "whsec_x", "envelope: json", "identify: {event_type: [header:X-None]}"), `{"id":"evt_2","api_version":null}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := envelopeEvent(t, c.providers, http.Header{"Content-Type": {"application/json"}}, c.body, envelopeNow)
			got := members(t, m.Body)
			for _, k := range []string{"created_at", "api_version", "type", "content_type"} {
				if v, ok := got[k]; ok {
					t.Errorf("%s = %s; want it omitted", k, v)
				}
			}
			if string(got["data"]) != c.body || !bytes.Contains(m.Body, []byte(c.body)) {
				t.Errorf("data = %s; want the body %s", got["data"], c.body)
			}
		})
	}
}

// TestJSONEnvelopeShopifyHeaders: Shopify's created_at and api_version
// come from its X-Shopify-Triggered-At and X-Shopify-API-Version headers.
func TestJSONEnvelopeShopifyHeaders(t *testing.T) {
	m := envelopeEvent(t, providerYAML("shop", "shopify", "shpss", "envelope: json"), http.Header{
		"X-Shopify-Topic": {"orders/create"}, "X-Shopify-Event-Id": {"e1"},
		"X-Shopify-Triggered-At": {"2023-03-29T18:00:27.877041743Z"}, "X-Shopify-Api-Version": {"2024-07"},
	}, `{"id":1}`, envelopeNow)
	got := members(t, m.Body)
	if string(got["created_at"]) != `"2023-03-29T18:00:27.877041743Z"` || string(got["api_version"]) != `"2024-07"` || string(got["type"]) != `"orders/create"` {
		t.Errorf("envelope %s; want Shopify's created_at, api_version and topic", m.Body)
	}
}

// TestJSONEnvelopeForm: a body that is not JSON (a Slack slash command's
// form) is data as a string, with its content type; one that is not
// UTF-8 is data_base64.
func TestJSONEnvelopeForm(t *testing.T) {
	const form = "token=x&team_id=T1&command=%2Fweather&text=94070&trigger_id=13345224609.738474920.8088930838d88f008e0"
	ct := "application/x-www-form-urlencoded"
	m := envelopeEvent(t, providerYAML("hook", "hmac", "s3cret", "envelope: json", "options: {header: X-Sig}"),
		http.Header{"Content-Type": {ct}}, form, envelopeNow)
	got := members(t, m.Body)
	var data, gotCT string
	if err := json.Unmarshal(got["data"], &data); err != nil || data != form {
		t.Errorf("data = %s (%v); want the form as a string", got["data"], err)
	}
	if err := json.Unmarshal(got["content_type"], &gotCT); err != nil || gotCT != ct {
		t.Errorf("content_type = %s; want %q", got["content_type"], ct)
	}
	if m.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", m.Header.Get("Content-Type"))
	}

	bin := "\xff\xfe<x/>"
	m = envelopeEvent(t, providerYAML("hook", "hmac", "s3cret", "envelope: json", "options: {header: X-Sig}"),
		http.Header{"Content-Type": {"application/octet-stream"}}, bin, envelopeNow)
	got = members(t, m.Body)
	var raw []byte
	if err := json.Unmarshal(got["data_base64"], &raw); err != nil || string(raw) != bin {
		t.Errorf("data_base64 = %s (%v); want the body", got["data_base64"], err)
	}
	if _, ok := got["data"]; ok {
		t.Errorf("a body that is not UTF-8 has data %s; want data_base64 only", got["data"])
	}
}

// TestJSONEnvelopeNotUTF8: a JSON body that is not UTF-8 (json.Valid
// does not check the encoding) is data_base64, with its content type, so
// that the envelope is JSON in UTF-8 as RFC 8259 wants; its fields are
// still read (created_at), and a catch-up reads the body back.
func TestJSONEnvelopeNotUTF8(t *testing.T) {
	body := "{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"created\":1700000000,\"data\":{\"object\":{\"note\":\"caf\xe9\"}}}"
	ct := "application/json; charset=iso-8859-1"
	pyaml := providerYAML("pay", "stripe", "whsec_x", "envelope: json")
	m := envelopeEvent(t, pyaml, http.Header{"Content-Type": {ct}}, body, envelopeNow)
	if !utf8.Valid(m.Body) {
		t.Fatalf("the envelope is not UTF-8: %q", m.Body)
	}
	got := members(t, m.Body)
	var raw []byte
	if err := json.Unmarshal(got["data_base64"], &raw); err != nil || string(raw) != body {
		t.Errorf("data_base64 = %s (%v); want the body", got["data_base64"], err)
	}
	if _, ok := got["data"]; ok {
		t.Errorf("a body that is not UTF-8 has data %s; want data_base64 only", got["data"])
	}
	for k, v := range map[string]string{"content_type": `"` + ct + `"`, "created_at": `"2023-11-14T22:13:20Z"`} {
		if string(got[k]) != v {
			t.Errorf("%s = %s; want %s", k, got[k], v)
		}
	}
	ps, err := buildProviders(mustValid(t, "listen: 127.0.0.1:0\nproviders:\n"+pyaml), false)
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := ps[0].envelope.rawBody(m.Body); !ok || string(b) != body {
		t.Errorf("rawBody = %q, %v; want the body", b, ok)
	}
}

// TestCloudEventsHeaders: the cloudevents envelope sets the attributes as
// ce-* headers (NATS binding, binary mode), leaves the body and the
// Hookgate-* headers as a raw message has them, takes the time from
// Stripe's created, the subject from the ordering key, and percent-encodes
// values (the space of the content type).
func TestCloudEventsHeaders(t *testing.T) {
	body := `{"id":"evt_1","type":"invoice.paid","created":1700000000,"data":{"object":{"id":"in_1","n":3}}}`
	m := envelopeEvent(t, providerYAML("pay", "stripe", "whsec_x", "envelope: cloudevents",
		"ordering: {key: data.object.id, version: data.object.n, format: sequence}"),
		http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body, envelopeNow)
	if string(m.Body) != body {
		t.Errorf("body = %s; want it unchanged", m.Body)
	}
	for h, v := range map[string]string{
		"ce-specversion": "1.0", "ce-id": "evt_1", "ce-source": "hookgate/pay", "ce-type": "invoice.paid",
		"ce-time": "2023-11-14T22:13:20Z", "ce-subject": "in_1", "ce-datacontenttype": "application/json;%20charset=utf-8",
		forward.HeaderEventID: "evt_1", forward.HeaderProvider: "pay", "Content-Type": "application/json; charset=utf-8",
	} {
		if got := m.Header[h]; len(got) != 1 || got[0] != v {
			t.Errorf("header %s = %q; want %q", h, got, v)
		}
	}

	// No created, no ordering key, no type, no Content-Type: the time of
	// receipt, no ce-subject, type "unknown", no ce-datacontenttype.
	m = envelopeEvent(t, providerYAML("gh", "github", "s3cret", "envelope: cloudevents"), http.Header{}, `{}`, envelopeNow)
	for h, v := range map[string]string{"ce-time": "2024-05-06T07:08:09.123Z", "ce-type": "unknown", "ce-subject": "", "ce-datacontenttype": ""} {
		if got := m.Header.Get(h); got != v {
			t.Errorf("header %s = %q; want %q", h, got, v)
		}
	}
}

// TestCEEncode follows the NATS binding's example and rules: space, '"',
// '%' and bytes outside printable ASCII are encoded, upper-case.
func TestCEEncode(t *testing.T) {
	for in, want := range map[string]string{
		"Euro € 😀":   "Euro%20%E2%82%AC%20%F0%9F%98%80",
		"evt_1":      "evt_1",
		`a"b%c`:      "a%22b%25c",
		"tab\there":  "tab%09here",
		"bad\xffutf": "bad%EF%BF%BDutf",
	} {
		if got := ceEncode(in); got != want {
			t.Errorf("ceEncode(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestRawEnvelope: the default leaves the body and headers as they were.
func TestRawEnvelope(t *testing.T) {
	body := `{"id":"evt_1","type":"invoice.paid"}`
	m := envelopeEvent(t, providerYAML("pay", "stripe", "whsec_x"), http.Header{"Content-Type": {"text/plain"}}, body, envelopeNow)
	if string(m.Body) != body || m.Header.Get("Content-Type") != "text/plain" || m.Header.Get("ce-id") != "" {
		t.Errorf("raw message: body %s, headers %v; want the body and headers as today", m.Body, m.Header)
	}
}

// TestEnvelopesOnTheStream posts Stripe events to a real gateway (SQLite,
// embedded NATS, archive on) with a cloudevents and a json provider, and
// reads the stored messages back. The cloudevents one is decoded with the
// CloudEvents Go SDK's NATS JetStream binding (binary mode); the json one
// holds the body byte for byte. A replay of the json event publishes the
// same envelope.
func TestEnvelopesOnTheStream(t *testing.T) {
	const secret = "whsec_env"
	// pay takes the top-level envelope, payj its own.
	s := mustServer(t, "archive: {enabled: true}\nenvelope: cloudevents",
		providerYAML("pay", "stripe", secret,
			"ordering: {key: data.object.id, version: data.object.n, format: sequence}")+
			providerYAML("payj", "stripe", secret, "envelope: json"))
	ctx := context.Background()
	ceBody := `{"id":"evt_ce","type":"invoice.paid","created":1700000000,"data":{"object":{"id":"in 1/€","n":1}}}`
	jsonBody := `{"id":"evt_js", "type":"invoice.paid","created":1700000001,"api_version":"2024-06-20","data":{"object":{"id":"in_2"}}}`
	post := func(path, body string) {
		t.Helper()
		req := signedRequest(t, "stripe", secret, path, body, http.Header{"Content-Type": {"application/json; charset=utf-8"}}, time.Now())
		if code := postTo(t, s, req); code != 202 {
			t.Fatalf("post to %s: %d; want 202", path, code)
		}
	}

	post("/webhooks/pay", ceBody)
	m := streamMsg(t, s, 1)
	msg := natsce.NewMessage(&nats.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data})
	if msg.ReadEncoding() != binding.EncodingBinary {
		t.Fatalf("the SDK reads encoding %v; want binary (headers %v)", msg.ReadEncoding(), m.Header)
	}
	ev, err := binding.ToEvent(ctx, msg)
	if err != nil {
		t.Fatalf("SDK ToEvent: %v (headers %v)", err, m.Header)
	}
	if err := ev.Validate(); err != nil {
		t.Errorf("SDK Validate: %v", err)
	}
	// The binding percent-encodes header values; the SDK (v2.16.2) hands
	// them over as they are, so the test decodes them (a no-op on a value
	// without '%').
	unescape := func(v string) string {
		u, err := url.PathUnescape(v)
		if err != nil {
			t.Errorf("%q is not percent-encoded: %v", v, err)
		}
		return u
	}
	for _, c := range []struct{ attr, got, want string }{
		{"specversion", ev.SpecVersion(), "1.0"},
		{"id", ev.ID(), "evt_ce"},
		{"source", ev.Source(), "hookgate/pay"},
		{"type", ev.Type(), "invoice.paid"},
		{"time", ev.Time().UTC().Format(time.RFC3339), "2023-11-14T22:13:20Z"},
		{"subject", unescape(ev.Subject()), "in 1/€"},
		{"datacontenttype", unescape(ev.DataContentType()), "application/json; charset=utf-8"},
		{"data", string(ev.Data()), ceBody},
	} {
		if c.got != c.want {
			t.Errorf("CloudEvent %s = %q; want %q", c.attr, c.got, c.want)
		}
	}
	if m.Header.Get(forward.HeaderEventID) != "evt_ce" || m.Header.Get(forward.HeaderProvider) != "pay" || string(m.Data) != ceBody {
		t.Errorf("stored message: headers %v, body %s; want the Hookgate-* headers and the body unchanged", m.Header, m.Data)
	}

	post("/webhooks/payj", jsonBody)
	m = streamMsg(t, s, 2)
	if !json.Valid(m.Data) || !bytes.Contains(m.Data, []byte(`"data":`+jsonBody+`}`)) {
		t.Fatalf("stored json envelope %s; want valid JSON holding the body byte for byte", m.Data)
	}
	got := members(t, m.Data)
	for k, v := range map[string]string{"id": `"evt_js"`, "provider": `"payj"`, "created_at": `"2023-11-14T22:13:21Z"`, "api_version": `"2024-06-20"`} {
		if string(got[k]) != v {
			t.Errorf("%s = %s; want %s", k, got[k], v)
		}
	}
	if ra := m.Header.Get(forward.HeaderReceivedAt); string(got["received_at"]) != `"`+ra+`"` {
		t.Errorf("received_at = %s; want the Hookgate-Received-At %q", got["received_at"], ra)
	}
	if m.Header.Get("Content-Type") != "application/json" || m.Header.Get(forward.HeaderEventID) != "evt_js" {
		t.Errorf("stored json message headers %v; want Content-Type application/json and the Hookgate-* headers", m.Header)
	}

	if _, c, err := s.Replay(ctx, forward.Query{Provider: "payj"}, ""); err != nil || c.Events != 1 {
		n := c.Events
		t.Fatalf("Replay = %d, %v; want the json event", n, err)
	}
	r := streamMsg(t, s, 3)
	if r.Header.Get(forward.HeaderReplay) == "" || !bytes.Equal(r.Data, m.Data) {
		t.Errorf("replayed message: headers %v, body %s; want the same envelope %s", r.Header, r.Data, m.Data)
	}
}
