package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

// bodyHashConfig is a gateway with two GitHub providers, one with
// dedupe.body_hash, on storage.backend backend, with envelope env.
func bodyHashConfig(tb testing.TB, natsURL, backend, env string) *config.Config {
	return mustValid(tb, testkit.GatewayYAML(tb.TempDir(), fmt.Sprintf(`storage: {backend: %s}
nats: {url: %q, create_stream: true}
http: {shutdown_timeout: 1s}`, backend, natsURL),
		"providers:"+
			providerYAML("gh", "github", "s3cret", "dedupe: {body_hash: true}", "envelope: "+env)+
			providerYAML("plain", "github", "s3cret", "envelope: "+env)))
}

// githubDelivery is a signed GitHub push with the delivery ID id.
func githubDelivery(tb testing.TB, path, id, body string) *http.Request {
	return signedRequest(tb, "github", "s3cret", path, body,
		http.Header{"X-Github-Delivery": {id}, "X-Github-Event": {"push"}, "Content-Type": {"application/json"}}, time.Now())
}

// TestBodyHash: with dedupe.body_hash a captured GitHub delivery sent
// again under a new X-GitHub-Delivery (which the signature does not cover)
// is a duplicate, on both backends; another body is not; a provider
// without it forwards the resent body again.
func TestBodyHash(t *testing.T) {
	for _, backend := range []string{"sqlite", "jetstream"} {
		t.Run(backend, func(t *testing.T) {
			ns := testkit.StartNATS(t)
			s := mustOpen(t, bodyHashConfig(t, ns.URL(), backend, "raw"))
			body := `{"ref":"refs/heads/main","after":"abc"}`
			for _, c := range []struct {
				name, path, id, body string
				want                 int
			}{
				{"first", "/webhooks/gh", "d-1", body, 202},
				{"same body, new ID", "/webhooks/gh", "d-2", body, 200},
				{"retry of the first", "/webhooks/gh", "d-1", body, 200},
				{"another body", "/webhooks/gh", "d-3", `{"ref":"refs/heads/main","after":"def"}`, 202},
				{"without body_hash: first", "/webhooks/plain", "d-1", body, 202},
				{"without body_hash: same body, new ID", "/webhooks/plain", "d-2", body, 202},
			} {
				if got := postTo(t, s, githubDelivery(t, c.path, c.id, c.body)); got != c.want {
					t.Errorf("%s: %d; want %d", c.name, got, c.want)
				}
			}
			st := testkit.Stream(t, ns.URL(), forward.DefaultStreamName)
			testkit.WaitFor(t, 10*time.Second, func() string { return "the stream does not hold the 4 accepted events" }, func() bool {
				return testkit.SubjectCount(t, st, "webhooks.>") == 4
			})
		})
	}
}

// TestBodyHashCatchUp: a json-enveloped event published to the stream
// whose claims were never committed (killed between the stream's ack and
// the commit) gets its body's claim from the catch-up too: the same body
// under a new ID is a duplicate after the restart.
func TestBodyHashCatchUp(t *testing.T) {
	ns := testkit.StartNATS(t)
	cfg := bodyHashConfig(t, ns.URL(), "sqlite", "json")
	s, err := Open(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	body := "{\"ref\":\"refs/heads/main\",\"after\":\"abc\"}\n" // as sent: the newline is part of it
	p := s.table.Load().byName["gh"]
	ev, err := p.event(identity{ID: "d-1", Type: "push"}, http.Header{"Content-Type": {"application/json"}}, []byte(body), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if ev.BodyKey == "" {
		t.Fatal("the event has no body key with dedupe.body_hash")
	}
	s = restartAfterLostCommit(t, s, cfg, ns.URL(), ev.Message)
	if got := postTo(t, s, githubDelivery(t, "/webhooks/gh", "d-2", body)); got != 200 {
		t.Errorf("the same body under a new ID after the catch-up: %d; want 200 (a duplicate)", got)
	}
	if got := postTo(t, s, githubDelivery(t, "/webhooks/gh", "d-3", body+" ")); got != 202 {
		t.Errorf("another body: %d; want 202", got)
	}
}

// TestEnvelopeRawBody: the json envelope gives back the body it wrapped,
// byte for byte, for a JSON body (with its whitespace), a text body and a
// binary one; the other envelopes are the body.
func TestEnvelopeRawBody(t *testing.T) {
	e := envelope{kind: config.EnvelopeJSON}
	for _, c := range []struct {
		name, ct string
		body     []byte
	}{
		{"JSON", "application/json", []byte(" {\"a\":\"b\\\"}\",\"data\":1}\n")},
		{"text", "text/plain", []byte("a=b&c=\"d\"\n\u00e9")},
		{"text without a Content-Type", "", []byte("a=b")},
		{"empty", "", []byte{}},
		{"binary", "application/octet-stream", []byte{0xff, 0x00, 0xfe}},
	} {
		msg := e.json(envelopeInput{provider: "p", id: identity{ID: "1", Type: "t"}, receivedAt: "now", ct: c.ct, body: c.body, isJSON: json.Valid(c.body)})
		got, ok := e.rawBody(msg)
		if !ok || string(got) != string(c.body) {
			t.Errorf("%s: rawBody(%s) = %q, %v; want %q", c.name, msg, got, ok, c.body)
		}
	}
	for _, kind := range []string{config.EnvelopeRaw, config.EnvelopeCloudEvents} {
		if got, ok := (envelope{kind: kind}).rawBody([]byte("x")); !ok || string(got) != "x" {
			t.Errorf("%s: rawBody = %q, %v; want the message body", kind, got, ok)
		}
	}
	if _, ok := e.rawBody([]byte(`{"id":"1"}`)); ok {
		t.Error("a json envelope without data: ok; want not ok")
	}
}
