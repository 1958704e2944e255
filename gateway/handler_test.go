package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/jsstore"
	"github.com/hookgate/hookgate/store"
	"github.com/hookgate/hookgate/verify"
	"github.com/hookgate/hookgate/webhook"
)

// fakeDecider answers with a fixed outcome or error, as the store would:
// asked holds every event it was given, events those it recorded (none
// when it fails, since a failed decision records nothing).
type fakeDecider struct {
	mu      sync.Mutex
	asked   []*webhook.Event
	events  []*webhook.Event
	outcome webhook.Outcome
	err     error
}

// Decide keeps a copy of the event, body included: like the real decider,
// it holds no reference to the request's pooled body buffer.
func (f *fakeDecider) Decide(_ context.Context, ev *webhook.Event) (webhook.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	kept := *ev
	kept.Message.Body = bytes.Clone(ev.Message.Body)
	f.asked = append(f.asked, &kept)
	if f.err != nil {
		return 0, f.err
	}
	f.events = append(f.events, &kept)
	return f.outcome, nil
}

// testServer returns a gateway on cfg (testConfig when nil) that decides
// with d, at testNow, with nothing started.
func testServer(tb testing.TB, cfg *config.Config, d Decider, log *slog.Logger) *Server {
	tb.Helper()
	if cfg == nil {
		cfg = mustValid(tb, testConfig)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := newServer(cfg, Options{Logger: log, Now: func() time.Time { return testNow }})
	s.decider = d
	return s
}

var testNow = time.Unix(1_700_000_000, 0)

const testConfig = `
listen: 127.0.0.1:0
admin: {listen: "127.0.0.1:0"}
providers:
  - name: shop
    type: stripe
    secrets: [whsec_old, whsec_new]
    max_body: 2048
    ordering: {key: data.object.id, version: created}
    pass_headers: [X-Trace]
  - name: gh
    type: github
    secrets: [s3cret]
`

// mustHandler builds the public handler of testConfig around d.
func mustHandler(tb testing.TB, d Decider) http.Handler {
	tb.Helper()
	c := mustValid(tb, testConfig)
	providers, err := buildProviders(c, false)
	if err != nil {
		tb.Fatal(err)
	}
	return testServer(tb, c, d, nil).routes(providers)
}

// stripeRequest signs body for provider shop with the given secret.
func stripeRequest(tb testing.TB, body, secret string, at time.Time) *http.Request {
	tb.Helper()
	req := httptest.NewRequest("POST", "/webhooks/shop", strings.NewReader(body))
	req.Header = testkit.Sign(tb, "stripe", secret, body, nil, at)
	req.Header.Set("X-Trace", "trace-1")
	return req
}

func stripeBody(id, typ, object string, created int64) string {
	return fmt.Sprintf(`{"id":%q,"type":%q,"created":%d,"data":{"object":{"id":%q}}}`, id, typ, created, object)
}

func TestHandlerStatusCodes(t *testing.T) {
	valid := stripeBody("evt_1", "invoice.paid", "in_1", 100)
	for _, c := range []struct {
		name       string
		req        *http.Request
		decider    *fakeDecider
		status     int
		body       string // JSON body expected, exact ("": not checked)
		reached    bool   // whether the decider was asked
		retryAfter bool
	}{
		{name: "accepted", req: stripeRequest(t, valid, "whsec_new", testNow), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 202, body: `{"id":"evt_1","status":"accepted"}`, reached: true},
		{name: "duplicate", req: stripeRequest(t, valid, "whsec_old", testNow), decider: &fakeDecider{outcome: webhook.Duplicate},
			status: 200, body: `{"id":"evt_1","status":"duplicate"}`, reached: true},
		{name: "stale", req: stripeRequest(t, valid, "whsec_old", testNow), decider: &fakeDecider{outcome: webhook.Stale},
			status: 200, body: `{"id":"evt_1","status":"stale"}`, reached: true},
		{name: "wrong secret", req: stripeRequest(t, valid, "whsec_other", testNow), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 401, body: `{"error":"invalid signature"}`},
		{name: "timestamp too old", req: stripeRequest(t, valid, "whsec_new", testNow.Add(-time.Hour)), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 401, body: `{"error":"invalid signature"}`},
		{name: "timestamp too new", req: stripeRequest(t, valid, "whsec_new", testNow.Add(time.Hour)), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 401, body: `{"error":"invalid signature"}`},
		{name: "missing signature", req: httptest.NewRequest("POST", "/webhooks/shop", strings.NewReader(valid)), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 400},
		{name: "body not JSON", req: stripeRequest(t, "not json", "whsec_new", testNow), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 400, body: `{"error":"gateway: malformed request: body is not valid JSON, and ordering reads it"}`},
		{name: "bad version", req: stripeRequest(t, `{"id":"e","type":"t","created":"soon","data":{"object":{"id":"o"}}}`, "whsec_new", testNow), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 400},
		{name: "line break in the event ID", req: stripeRequest(t, `{"id":"evt\n1","type":"t","created":5,"data":{"object":{"id":"o"}}}`, "whsec_new", testNow), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 400, body: `{"error":"gateway: malformed request: the event ID (id) \"evt\\n1\" contains a line break or NUL"}`},
		{name: "line break in the event ID, no ordering key", req: stripeRequest(t, `{"id":"evt\n1","type":"t"}`, "whsec_new", testNow), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 400},
		{name: "line break in the type, no ordering key", req: stripeRequest(t, `{"id":"e","type":"t\r\nX-Injected: 1"}`, "whsec_new", testNow), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 400},
		{name: "line break in the version", req: stripeRequest(t, `{"id":"e","type":"t","created":" 5\n","data":{"object":{"id":"o"}}}`, "whsec_new", testNow), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 400},
		{name: "too large", req: stripeRequest(t, strings.Repeat(" ", 2049)+valid, "whsec_new", testNow), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 413, body: `{"error":"body too large"}`},
		{name: "storage failing", req: stripeRequest(t, valid, "whsec_new", testNow), decider: &fakeDecider{err: fmt.Errorf("%w: disk I/O error", ErrStorage)},
			status: 503, body: `{"error":"temporarily unavailable"}`, reached: true, retryAfter: true},
		{name: "outbox full", req: stripeRequest(t, valid, "whsec_new", testNow), decider: &fakeDecider{err: fmt.Errorf("%w: 10 rows", store.ErrOutboxFull)},
			status: 503, body: `{"error":"outbox full, retry later"}`, reached: true, retryAfter: true},
		{name: "shutting down", req: stripeRequest(t, valid, "whsec_new", testNow), decider: &fakeDecider{err: store.ErrClosed},
			status: 503, body: `{"error":"shutting down"}`, reached: true, retryAfter: true},
		{name: "stream unavailable", req: stripeRequest(t, valid, "whsec_new", testNow), decider: &fakeDecider{err: fmt.Errorf("%w: nats: timeout", jsstore.ErrUnavailable)},
			status: 503, body: `{"error":"stream unavailable, retry later"}`, reached: true, retryAfter: true},
		{name: "entity contended", req: stripeRequest(t, valid, "whsec_new", testNow), decider: &fakeDecider{err: fmt.Errorf("%w: 5 tries", jsstore.ErrContended)},
			status: 503, body: `{"error":"entity busy, retry later"}`, reached: true, retryAfter: true},
		{name: "stream refused", req: stripeRequest(t, valid, "whsec_new", testNow), decider: &fakeDecider{err: fmt.Errorf("%w: subject not in stream", jsstore.ErrRefused)},
			status: 500, body: `{"error":"the stream refused the event"}`, reached: true},
		{name: "unknown path", req: httptest.NewRequest("POST", "/webhooks/nope", strings.NewReader(valid)), decider: &fakeDecider{outcome: webhook.Accepted},
			status: 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mustHandler(t, c.decider).ServeHTTP(rec, c.req)
			if rec.Code != c.status {
				t.Fatalf("status = %d (%s); want %d", rec.Code, rec.Body, c.status)
			}
			if c.body != "" {
				if got := strings.TrimSpace(rec.Body.String()); got != c.body {
					t.Errorf("body = %s; want %s", got, c.body)
				}
			}
			if got := len(c.decider.asked) > 0; got != c.reached {
				t.Errorf("decider asked = %v; want %v", got, c.reached)
			}
			wantRecorded := 0
			if c.reached && c.decider.err == nil {
				wantRecorded = 1
			}
			if got := len(c.decider.events); got != wantRecorded {
				t.Errorf("%d events recorded; want %d (none when the decision fails)", got, wantRecorded)
			}
			if got := rec.Header().Get("Retry-After") != ""; got != c.retryAfter {
				t.Errorf("Retry-After present = %v; want %v", got, c.retryAfter)
			}
		})
	}
}

// TestHandlerEvent checks what the handler hands to the decider: keys,
// ordering, subject, headers and the raw body.
func TestHandlerEvent(t *testing.T) {
	body := stripeBody("evt_9", "customer.subscription.updated", "sub_1", 1699999999)
	d := &fakeDecider{outcome: webhook.Accepted}
	rec := httptest.NewRecorder()
	mustHandler(t, d).ServeHTTP(rec, stripeRequest(t, body, "whsec_old", testNow))
	if rec.Code != 202 || len(d.events) != 1 {
		t.Fatalf("status %d, %d events; want 202 and 1", rec.Code, len(d.events))
	}
	ev := d.events[0]
	for _, c := range []struct{ field, got, want string }{
		{"Key", ev.Key, "shop:evt_9"},
		{"Entity", ev.Entity, "shop:sub_1"},
		{"Message.ID", ev.Message.ID, "shop:evt_9"},
		{"Message.Subject", ev.Message.Subject, "webhooks.shop.customer.subscription.updated"},
		{"Message.Body", string(ev.Message.Body), body},
		{forward.HeaderProvider, ev.Message.Header.Get(forward.HeaderProvider), "shop"},
		{forward.HeaderEventID, ev.Message.Header.Get(forward.HeaderEventID), "evt_9"},
		{forward.HeaderEventType, ev.Message.Header.Get(forward.HeaderEventType), "customer.subscription.updated"},
		{forward.HeaderReceivedAt, ev.Message.Header.Get(forward.HeaderReceivedAt), testNow.UTC().Format(time.RFC3339Nano)},
		{forward.HeaderOrderingKey, ev.Message.Header.Get(forward.HeaderOrderingKey), "sub_1"},
		{forward.HeaderOrderingVersion, ev.Message.Header.Get(forward.HeaderOrderingVersion), "1699999999"},
		{"X-Trace (passed through)", ev.Message.Header.Get("X-Trace"), "trace-1"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.field, c.got, c.want)
		}
	}
	if !ev.Ordered || ev.Version != 1699999999 || ev.TTL != config.DefaultTTL {
		t.Errorf("Ordered, Version, TTL = %v, %d, %s; want true, 1699999999, %s", ev.Ordered, ev.Version, ev.TTL, config.DefaultTTL)
	}
	if ev.Message.Header.Get("Stripe-Signature") != "" {
		t.Error("the signature header was forwarded; only pass_headers may be")
	}
}

// TestHandlerGitHubIdentity checks the GitHub preset's identity: delivery
// header as ID, event header plus body action as type; and that a body
// without an ID elsewhere falls back to its SHA-256.
func TestHandlerGitHubIdentity(t *testing.T) {
	sign := func(body string, hdr map[string]string) *http.Request {
		vr := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(body)}
		if err := verify.Sign("github", vr, verify.Options{Secrets: []string{"s3cret"}}, testNow); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("POST", "/webhooks/gh", strings.NewReader(body))
		req.Header = vr.Header
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return req
	}
	for _, c := range []struct {
		name, body      string
		hdr             map[string]string
		wantID, subject string
	}{
		{"with action", `{"action":"opened"}`, map[string]string{"X-GitHub-Delivery": "d-1", "X-GitHub-Event": "pull_request"}, "d-1", "webhooks.gh.pull_request.opened"},
		{"without action", `{"zen":"hi"}`, map[string]string{"X-GitHub-Delivery": "d-2", "X-GitHub-Event": "ping"}, "d-2", "webhooks.gh.ping"},
		{"no delivery id", `{}`, map[string]string{}, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "webhooks.gh.unknown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := &fakeDecider{outcome: webhook.Accepted}
			rec := httptest.NewRecorder()
			mustHandler(t, d).ServeHTTP(rec, sign(c.body, c.hdr))
			if rec.Code != 202 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var resp map[string]string
			if err := json.NewDecoder(io.Reader(rec.Body)).Decode(&resp); err != nil || resp["id"] != c.wantID {
				t.Errorf("response id = %q (%v); want %q", resp["id"], err, c.wantID)
			}
			if got := d.events[0].Message.Subject; got != c.subject {
				t.Errorf("subject = %q; want %q", got, c.subject)
			}
		})
	}
}

// handshakeVerifier answers every request with a handshake response.
type handshakeVerifier struct{}

func (handshakeVerifier) Verify(r *verify.Request, _ time.Time) (verify.Result, error) {
	return verify.Result{Response: &verify.Response{ContentType: "text/plain", Body: []byte("challenge:" + r.Method)}}, nil
}

// TestHandlerHandshake checks that a handshake is answered with the
// scheme's response, on every method the provider uses, and never reaches
// the decider.
func TestHandlerHandshake(t *testing.T) {
	d := &fakeDecider{outcome: webhook.Accepted}
	s := testServer(t, nil, d, nil)
	p := &provider{name: "hs", path: "/webhooks/hs", maxBody: 1024, methods: []string{"GET", "POST"}, verifier: handshakeVerifier{}}
	h := s.routes([]*provider{p})
	for _, m := range []string{"GET", "POST"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(m, "/webhooks/hs?hub.challenge=1", strings.NewReader("")))
		if rec.Code != 200 || rec.Body.String() != "challenge:"+m || rec.Header().Get("Content-Type") != "text/plain" {
			t.Errorf("%s: %d %q %q; want 200 text/plain challenge:%s", m, rec.Code, rec.Header().Get("Content-Type"), rec.Body, m)
		}
	}
	if len(d.events) != 0 {
		t.Errorf("a handshake reached the decider: %d events", len(d.events))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("PUT", "/webhooks/hs", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT: status %d; want 405", rec.Code)
	}
}

// TestHandlerFormBody checks that a body that is not JSON is identified by
// its hash when only the event ID and type would be read from it (a Slack
// slash command is a form).
func TestHandlerFormBody(t *testing.T) {
	d := &fakeDecider{outcome: webhook.Accepted}
	body := "command=%2Fdeploy&text=now"
	vr := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(body)}
	if err := verify.Sign("github", vr, verify.Options{Secrets: []string{"s3cret"}}, testNow); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/webhooks/gh", strings.NewReader(body))
	req.Header = vr.Header
	rec := httptest.NewRecorder()
	mustHandler(t, d).ServeHTTP(rec, req)
	sum := sha256.Sum256([]byte(body))
	if rec.Code != 202 || len(d.events) != 1 || d.events[0].ID != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Fatalf("form body: %d %s; want 202 with the body's hash as its ID", rec.Code, rec.Body)
	}
}

// payloadVerifier verifies everything and reports a wrapped payload.
type payloadVerifier struct{ payload string }

func (v payloadVerifier) Verify(*verify.Request, time.Time) (verify.Result, error) {
	return verify.Result{Payload: []byte(v.payload)}, nil
}

// TestHandlerReadsFieldsFromPayload checks that a scheme's verified payload
// (Apple's JWS) is where the event's fields are read, while the raw body is
// what is forwarded.
func TestHandlerReadsFieldsFromPayload(t *testing.T) {
	preset, ok := verify.Lookup("apple")
	if !ok {
		t.Fatal("no apple preset")
	}
	ident, err := newIdentifier(preset.EventID, preset.EventType, config.Ordering{})
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDecider{outcome: webhook.Accepted}
	s := testServer(t, nil, d, nil)
	p := &provider{name: "apple", path: "/webhooks/apple", maxBody: 1 << 20, methods: []string{"POST"}, subject: config.DefaultSubject, ttl: time.Hour,
		verifier: payloadVerifier{`{"notificationUUID":"u-1","notificationType":"DID_RENEW","subtype":"BILLING_RECOVERY"}`}, ident: ident}
	raw := `{"signedPayload":"x.y.z"}`
	rec := httptest.NewRecorder()
	s.routes([]*provider{p}).ServeHTTP(rec, httptest.NewRequest("POST", "/webhooks/apple", strings.NewReader(raw)))
	if rec.Code != 202 || len(d.events) != 1 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	ev := d.events[0]
	if ev.ID != "u-1" || ev.Message.Subject != "webhooks.apple.DID_RENEW.BILLING_RECOVERY" || string(ev.Message.Body) != raw {
		t.Errorf("event %q on %q with body %s; want u-1 on webhooks.apple.DID_RENEW.BILLING_RECOVERY with the raw body", ev.ID, ev.Message.Subject, ev.Message.Body)
	}
}

// TestLogsNeverCarrySecretsOrBodies checks the request log line at info:
// provider, event ID, outcome and secret index, but no secret and no body;
// decided events and the body appear only at debug level.
func TestLogsNeverCarrySecretsOrBodies(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var logs bytes.Buffer
		c := mustValid(t, testConfig)
		providers, err := buildProviders(c, false)
		if err != nil {
			t.Fatal(err)
		}
		s := testServer(t, c, &fakeDecider{outcome: webhook.Accepted}, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: level})))
		h := s.routes(providers)
		body := stripeBody("evt_log", "t", "o", 1)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, stripeRequest(t, body, "whsec_new", testNow))
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, stripeRequest(t, body, "whsec_wrong", testNow))
		out := logs.String()
		for _, secret := range []string{"whsec_new", "whsec_old", "whsec_wrong"} {
			if strings.Contains(out, secret) {
				t.Errorf("level %v: a secret is in the logs:\n%s", level, out)
			}
		}
		for _, want := range []string{`"provider":"shop"`, `"msg":"webhook rejected"`} {
			if !strings.Contains(out, want) {
				t.Errorf("level %v: logs lack %s:\n%s", level, want, out)
			}
		}
		// Decided events are logged at debug level only.
		accepted := strings.Contains(out, `"msg":"webhook accepted"`) && strings.Contains(out, `"event_id":"evt_log"`) && strings.Contains(out, `"secret_index":1`)
		if accepted != (level == slog.LevelDebug) {
			t.Errorf("level %v: accepted event logged = %v; want %v\n%s", level, accepted, level == slog.LevelDebug, out)
		}
		if hasBody := strings.Contains(out, `in_1`) || strings.Contains(out, `\"id\":\"o\"`); hasBody != (level == slog.LevelDebug) {
			t.Errorf("level %v: body in logs = %v; want %v\n%s", level, hasBody, level == slog.LevelDebug, out)
		}
	}
}

func TestAppendJSON(t *testing.T) {
	for _, c := range []struct{ k1, v1, k2, v2 string }{
		{"id", "evt_1", "status", "accepted"},
		{"error", `quote " backslash \ newline` + "\n\x01", "", ""},
		{"id", "zoë ♥ \u2028", "status", "stale"},
		{"id", "bad \xff utf-8", "status", "duplicate"},
	} {
		got := appendJSON(nil, c.k1, c.v1, c.k2, c.v2)
		var m map[string]string
		if err := json.Unmarshal(got, &m); err != nil {
			t.Fatalf("appendJSON = %s: not JSON: %v", got, err)
		}
		want := map[string]string{c.k1: c.v1}
		if c.k2 != "" {
			want[c.k2] = c.v2
		}
		if c.v1 == "bad \xff utf-8" {
			want[c.k1] = "bad \ufffd utf-8"
		}
		if fmt.Sprint(m) != fmt.Sprint(want) {
			t.Errorf("appendJSON decodes to %v; want %v", m, want)
		}
	}
}

// TestRejectedLogsAreSampled: a flood of forged requests writes a bounded
// number of log lines (the metrics count them all), and a later line says
// how many were left out. A request-borne value in a line is cut short.
func TestRejectedLogsAreSampled(t *testing.T) {
	var logs testkit.SyncBuffer
	s := testServer(t, nil, &fakeDecider{outcome: webhook.Accepted}, slog.New(slog.NewJSONHandler(&logs, nil)))
	providers, err := buildProviders(s.cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	h := s.routes(providers)
	forged := func(id string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, stripeRequest(t, stripeBody(id, "t", "o", 1), "whsec_attacker", testNow))
		if rec.Code != 401 {
			t.Fatalf("forged request: %d; want 401", rec.Code)
		}
	}
	for i := range 500 {
		forged(fmt.Sprint("evt_", i))
	}
	if n := strings.Count(logs.String(), `"msg":"webhook rejected"`); n < rejectLogBurst || n > rejectLogBurst+10 {
		t.Errorf("%d lines for 500 forged requests; want about the burst of %d", n, rejectLogBurst)
	}
	// A token comes back within 100 ms; the next line written says how many
	// were left out.
	testkit.WaitFor(t, 10*time.Second, func() string { return "no line says how many were left out:\n" + logs.String() }, func() bool {
		forged("evt_later")
		return strings.Contains(logs.String(), `"not_logged_before":`)
	})

	if got, want := clip(strings.Repeat("x", 40000)), strings.Repeat("x", maxLogValue)+"... (40000 bytes)"; got != want {
		t.Errorf("clip(40000 x) = %d bytes; want %d", len(got), len(want))
	}
	if got := clip("short"); got != "short" {
		t.Errorf("clip(short) = %q", got)
	}
}

// TestHandlerValueLimits: every value that travels in a NATS header has a
// length limit; a request past one gets 400 naming the value and the limit,
// and nothing is decided. A value at its limit passes.
func TestHandlerValueLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("v", n) }
	for _, c := range []struct {
		name           string
		id, typ, obj   string
		trace          []string
		want           int
		wantInResponse string
	}{
		{"at every limit", long(MaxEventID), long(MaxEventType), long(MaxOrderingKey), []string{long(MaxPassHeader)}, 202, ""},
		{"event ID", long(MaxEventID + 1), "t", "o", nil, 400, "event ID (id) is 257 bytes; the limit is 256"},
		{"event type", "e", long(MaxEventType + 1), "o", nil, 400, "event type is 257 bytes"},
		{"ordering key", "e", "t", long(MaxOrderingKey + 1), nil, 400, "ordering key (data.object.id) is 257 bytes"},
		{"one passed header", "e", "t", "o", []string{long(MaxPassHeader + 1)}, 400, "passed header X-Trace is 4097 bytes"},
		{"passed headers together", "e", "t", "o", []string{long(MaxPassHeader), long(MaxPassHeader), long(MaxPassHeader), long(MaxPassHeader), "x"}, 400, "are 16385 bytes together"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := &fakeDecider{outcome: webhook.Accepted}
			req := stripeRequest(t, stripeBody(c.id, c.typ, c.obj, 1), "whsec_new", testNow)
			req.Header.Del("X-Trace")
			for _, v := range c.trace {
				req.Header.Add("X-Trace", v)
			}
			rec := httptest.NewRecorder()
			mustHandler(t, d).ServeHTTP(rec, req)
			if rec.Code != c.want || !strings.Contains(rec.Body.String(), c.wantInResponse) {
				t.Fatalf("status %d %s; want %d with %q", rec.Code, rec.Body, c.want, c.wantInResponse)
			}
			if decided := len(d.events) > 0; decided != (c.want == 202) {
				t.Errorf("decided = %v; want %v", decided, c.want == 202)
			}
		})
	}
	// The version has its own limit: a 65-digit sequence.
	d := &fakeDecider{outcome: webhook.Accepted}
	body := fmt.Sprintf(`{"id":"e","type":"t","created":%s,"data":{"object":{"id":"o"}}}`, strings.Repeat("9", MaxOrderingVersion+1))
	rec := httptest.NewRecorder()
	mustHandler(t, d).ServeHTTP(rec, stripeRequest(t, body, "whsec_new", testNow))
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "ordering version (created) is 65 bytes") {
		t.Errorf("65-byte version: %d %s; want 400 naming it", rec.Code, rec.Body)
	}
}

// TestPresetSuccessAnswer: a preset that declares its success answer gets
// it for an accepted event and for its duplicate (Xero takes only a 200,
// with an empty body); the others keep hookgate's JSON 202.
func TestPresetSuccessAnswer(t *testing.T) {
	s := mustServer(t, "", providerYAML("xero", "xero", "xero-key")+providerYAML("shop", "stripe", "whsec_a"))
	body := `{"events":[{"resourceId":"inv_1","eventCategory":"INVOICE","eventType":"UPDATE","eventDateUtc":"2026-12-04T10:00:00Z"}],"firstEventSequence":1,"lastEventSequence":1,"entropy":"X"}`
	for _, want := range []string{"accepted", "duplicate"} {
		resp := postRaw(t, s, signedRequest(t, "xero", "xero-key", "/webhooks/xero", body, nil, time.Now()))
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(got) != 0 || resp.Header.Get("Content-Type") != "" {
			t.Errorf("xero %s: %d %q (Content-Type %q); want 200 with an empty body", want, resp.StatusCode, got, resp.Header.Get("Content-Type"))
		}
	}
	if code := postTo(t, s, stripeRequest(t, stripeBody("evt_1", "invoice.paid", "in_1", 1), "whsec_a", time.Now())); code != http.StatusAccepted {
		t.Errorf("stripe: %d; want 202", code)
	}
	if got := scrape(t, s)[`hookgate_requests_total{outcome="duplicate",provider="xero"}`]; got != 1 {
		t.Errorf("xero duplicates counted %v; want 1 (the second delivery was decided, then answered 200)", got)
	}
}

// TestTwitterCRCAnswerIsNoSignature checks, through the handler, that the
// answer to X's CRC cannot sign a delivery: GET ?crc_token=null was
// answered with the MAC of "null", and a POST of the body null with that
// answer as its signature was accepted (202) and forwarded as X's event.
func TestTwitterCRCAnswerIsNoSignature(t *testing.T) {
	c := mustValid(t, "listen: 127.0.0.1:0\nadmin: {listen: \"127.0.0.1:0\"}\nproviders:"+providerYAML("x", "twitter", "consumer-secret"))
	providers, err := buildProviders(c, false)
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDecider{outcome: webhook.Accepted}
	h := testServer(t, c, d, nil).routes(providers)
	for _, forged := range []string{"null", "12345", "true", "-1"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/webhooks/x?crc_token="+forged, nil))
		var crc struct {
			Token string `json:"response_token"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &crc); rec.Code != 200 || err != nil || crc.Token == "" {
			t.Fatalf("GET crc_token=%s: %d %s; want 200 with a response_token", forged, rec.Code, rec.Body)
		}
		req := httptest.NewRequest("POST", "/webhooks/x", strings.NewReader(forged))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Twitter-Webhooks-Signature", crc.Token)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("POST body %s signed with the CRC's answer: %d %s; want 401", forged, rec.Code, rec.Body)
		}
	}
	if len(d.asked) != 0 {
		t.Errorf("%d forged deliveries reached the decider; want none", len(d.asked))
	}
	// A delivery X signs still goes through.
	body := `{"for_user_id":"2244994945","tweet_create_events":[]}`
	vr := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(body)}
	if err := verify.Sign("twitter", vr, verify.Options{Secrets: []string{"consumer-secret"}}, testNow); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/webhooks/x", strings.NewReader(body))
	req.Header = vr.Header
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 202 || len(d.events) != 1 {
		t.Errorf("signed delivery: %d %s, %d events; want 202 and one event", rec.Code, rec.Body, len(d.events))
	}
}
