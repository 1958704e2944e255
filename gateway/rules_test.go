package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

const routesYAML = `routes:
  - name: big
    providers: [shop]
    when: 'type == "invoice.paid" && body.data.object.amount_paid > 100000'
    subject: "webhooks.priority.{provider}.{type}"
    headers: {Hookgate-Priority: high}
  - name: audit
    subject: "webhooks.audit.{provider}"
  - name: no-pings
    when: 'type == "ping"'
    action: drop
  - name: broken
    when: 'body.nope.deeper == 1'
    subject: webhooks.never
`

// TestRoutes: through a real gateway (SQLite, embedded NATS), a matching
// route adds its copy (with its headers, Hookgate-Route and its own
// Nats-Msg-Id) after the event's own message; a route that does not match
// adds nothing; the event's own message comes after its copies; a drop route forwards nothing, answers 2xx, and its retry
// is a duplicate; a condition that fails to evaluate is no match, counted.
func TestRoutes(t *testing.T) {
	s := mustServer(t, routesYAML, providerYAML("shop", "stripe", "whsec_a"))
	post := func(id, typ string, amount int) int {
		body := fmt.Sprintf(`{"id":%q,"type":%q,"created":1,"data":{"object":{"id":"in_1","amount_paid":%d}}}`, id, typ, amount)
		return postTo(t, s, stripeRequest(t, body, "whsec_a", time.Now()))
	}
	for _, c := range []struct {
		id, typ string
		amount  int
		want    int
	}{
		{id: "evt_big", typ: "invoice.paid", amount: 250000, want: 202},
		{id: "evt_small", typ: "invoice.paid", amount: 5, want: 202},
		{id: "evt_ping", typ: "ping", want: 202},
		{id: "evt_ping", typ: "ping", want: 200}, // the retry of a dropped event
	} {
		if code := post(c.id, c.typ, c.amount); code != c.want {
			t.Fatalf("%s: %d; want %d", c.id, code, c.want)
		}
	}
	want := []struct{ id, subject, route, priority string }{
		{id: "shop:evt_big@big", subject: "webhooks.priority.shop.invoice.paid", route: "big", priority: "high"},
		{id: "shop:evt_big@audit", subject: "webhooks.audit.shop", route: "audit"},
		{id: "shop:evt_big", subject: "webhooks.shop.invoice.paid"},
		{id: "shop:evt_small@audit", subject: "webhooks.audit.shop", route: "audit"},
		{id: "shop:evt_small", subject: "webhooks.shop.invoice.paid"},
	}
	for i, w := range want {
		m := streamMsg(t, s, uint64(i+1))
		if got := m.Header.Get(forward.HeaderMsgID); got != w.id || m.Subject != w.subject ||
			m.Header.Get(forward.HeaderRoute) != w.route || m.Header.Get("Hookgate-Priority") != w.priority {
			t.Errorf("stream message %d: %s on %s, route %q, priority %q; want %s on %s, route %q, priority %q", i+1,
				got, m.Subject, m.Header.Get(forward.HeaderRoute), m.Header.Get("Hookgate-Priority"), w.id, w.subject, w.route, w.priority)
		}
		if id := m.Header.Get(forward.HeaderEventID); id != "evt_big" && id != "evt_small" {
			t.Errorf("stream message %d: Hookgate-Event-Id %q; want the event's own", i+1, id)
		}
	}
	if n := streamCount(t, s); n != uint64(len(want)) {
		t.Errorf("stream holds %d messages; want %d (the dropped ping forwards nothing)", n, len(want))
	}
	metrics := scrape(t, s)
	for name, want := range map[string]float64{
		`hookgate_route_matches_total{route="big"}`:      1,
		`hookgate_route_matches_total{route="audit"}`:    4, // the pings too, before the drop discarded the copy
		`hookgate_route_matches_total{route="no-pings"}`: 2, // both deliveries were evaluated
		`hookgate_route_errors_total{route="broken"}`:    2, // the pings stopped at the drop
	} {
		if got := metrics[name]; got != want {
			t.Errorf("%s = %v; want %v", name, got, want)
		}
	}
}

// streamCount returns the number of messages in the stream WEBHOOKS of s.
func streamCount(tb testing.TB, s *Server) uint64 {
	tb.Helper()
	info, err := testkit.Stream(tb, s.NATSURL(), forward.DefaultStreamName).Info(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return info.State.Msgs
}

// TestRoutesJetStreamBackend: with storage.backend jetstream an event's
// route copies are in its atomic batch: on the stream with it, before it.
func TestRoutesJetStreamBackend(t *testing.T) {
	ns := testkit.StartNATS(t)
	c := mustValid(t, testkit.GatewayYAML(t.TempDir(), fmt.Sprintf(`storage: {backend: jetstream}
nats: {url: %q, create_stream: true}
http: {shutdown_timeout: 1s}`, ns.URL()), "providers:"+providerYAML("shop", "stripe", "whsec_a"), routesYAML))
	s := mustOpen(t, c)
	body := `{"id":"evt_big","type":"invoice.paid","created":1,"data":{"object":{"id":"in_1","amount_paid":250000}}}`
	if code := postTo(t, s, stripeRequest(t, body, "whsec_a", time.Now())); code != 202 {
		t.Fatalf("evt_big: %d; want 202", code)
	}
	st := testkit.Stream(t, ns.URL(), forward.DefaultStreamName)
	for subject, want := range map[string]int{
		"webhooks.priority.shop.invoice.paid": 1,
		"webhooks.audit.shop":                 1,
		"webhooks.shop.invoice.paid":          1,
	} {
		if n := testkit.SubjectCount(t, st, subject); n != want {
			t.Errorf("%s holds %d messages; want %d", subject, n, want)
		}
	}
}

// TestReplayRoutes: a replay evaluates the routes as they are now: the
// event comes back with its copies; limited to a route, as that route's
// copy alone; an unknown route, or a drop route, is refused.
func TestReplayRoutes(t *testing.T) {
	s := mustServer(t, "archive: {enabled: true}\n"+routesYAML, providerYAML("shop", "stripe", "whsec_a"))
	body := `{"id":"evt_big","type":"invoice.paid","created":1,"data":{"object":{"id":"in_1","amount_paid":250000}}}`
	if code := postTo(t, s, stripeRequest(t, body, "whsec_a", time.Now())); code != 202 {
		t.Fatalf("evt_big: %d; want 202", code)
	}
	replay := func(route string) (string, int) {
		t.Helper()
		q := forward.Query{Provider: "shop"}
		var err error
		if q.Expand, err = expander(s.rules.Load(), s.table.Load(), route); err != nil {
			t.Fatal(err)
		}
		id, c, err := s.Replay(context.Background(), q, "")
		if err != nil || c.Events != 1 {
			t.Fatalf("replay (route %q) = %+v, %v; want 1 event", route, c, err)
		}
		return id, c.Messages
	}
	all, n := replay("")
	if n != 3 {
		t.Errorf("replay: %d messages; want 3 (two copies and the event)", n)
	}
	big, n := replay("big")
	if n != 1 {
		t.Errorf("replay of route big: %d messages; want 1", n)
	}
	want := []string{"shop:evt_big@big", "shop:evt_big@audit", "shop:evt_big",
		"shop:evt_big@big:replay:" + all, "shop:evt_big@audit:replay:" + all, "shop:evt_big:replay:" + all,
		"shop:evt_big@big:replay:" + big}
	for i, id := range want {
		if got := streamMsg(t, s, uint64(i+1)).Header.Get(forward.HeaderMsgID); got != id {
			t.Errorf("stream message %d: %s; want %s", i+1, got, id)
		}
	}
	for _, route := range []string{"nope", "no-pings"} {
		if _, err := expander(s.rules.Load(), s.table.Load(), route); !errors.Is(err, ErrMalformed) {
			t.Errorf("expander(%q) = %v; want ErrMalformed", route, err)
		}
	}
}

// TestAdminReplayOfARouteSaysWhyNothing: a replay limited to a route that
// makes no copy of the events it matches queues nothing, and the answer
// says why (it answered 200 with 0 messages and no reason).
func TestAdminReplayOfARouteSaysWhyNothing(t *testing.T) {
	s := mustServer(t, adminAuth+routesYAML, providerYAML("shop", "stripe", "whsec_a"))
	token := adminToken(t, jwt.SigningMethodHS256, []byte(adminSecret), validClaims())
	body := `{"id":"evt_small","type":"invoice.paid","created":1,"data":{"object":{"id":"in_1","amount_paid":10}}}`
	if code := postTo(t, s, stripeRequest(t, body, "whsec_a", time.Now())); code != 202 {
		t.Fatalf("evt_small: %d; want 202", code)
	}
	code, out := adminCall(t, s, "POST", "/admin/replay", token, `{"provider":"shop","route":"big"}`)
	want := `"reason":"1 archived event matches, but route \"big\", as the routes are now, makes no copy of it"`
	if code != 200 || !strings.Contains(out, `"messages":0`) || !strings.Contains(out, want) {
		t.Errorf("replay of route big: %d %s; want 200, 0 messages and %s", code, out, want)
	}
}
