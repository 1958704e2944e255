package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/route"
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
		{id: "shop@big:evt_big", subject: "webhooks.priority.shop.invoice.paid", route: "big", priority: "high"},
		{id: "shop@audit:evt_big", subject: "webhooks.audit.shop", route: "audit"},
		{id: "shop:evt_big", subject: "webhooks.shop.invoice.paid"},
		{id: "shop@audit:evt_small", subject: "webhooks.audit.shop", route: "audit"},
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
		`hookgate_route_matches_total{route="audit"}`:    2, // not the ping: the drop discarded its copy
		`hookgate_route_matches_total{route="no-pings"}`: 1, // not the ping's retry: a duplicate
		`hookgate_route_errors_total{route="broken"}`:    2, // the pings stopped at the drop
	} {
		if got := metrics[name]; got != want {
			t.Errorf("%s = %v; want %v", name, got, want)
		}
	}
}

// TestRouteMatchesCountAccepted: hookgate_route_matches_total counts what
// a route did to an accepted event (a copy added, the event dropped), not
// its evaluation: the routes of a duplicate or a stale event, evaluated
// before the decision, did nothing, and neither did a copy route's match
// when a later route dropped the event.
func TestRouteMatchesCountAccepted(t *testing.T) {
	const routes = `routes:
  - name: audit
    subject: "webhooks.audit.{provider}"
  - name: no-pings
    when: 'type == "ping"'
    action: drop
`
	s := mustServer(t, routes, providerYAML("shop", "stripe", "whsec_a", "ordering: {key: data.object.id, version: created}"))
	for _, c := range []struct {
		name, id, typ, object string
		created               int64
		want                  int
	}{
		{name: "accepted", id: "evt_2", typ: "invoice.paid", object: "in_1", created: 2, want: 202},
		{name: "duplicate", id: "evt_2", typ: "invoice.paid", object: "in_1", created: 2, want: 200},
		{name: "stale", id: "evt_1", typ: "invoice.paid", object: "in_1", created: 1, want: 200},
		{name: "dropped", id: "evt_ping", typ: "ping", object: "in_2", created: 1, want: 202},
		{name: "dropped, duplicate", id: "evt_ping", typ: "ping", object: "in_2", created: 1, want: 200},
		{name: "dropped, stale", id: "evt_ping0", typ: "ping", object: "in_2", created: 0, want: 200},
	} {
		if code := postTo(t, s, stripeRequest(t, stripeBody(c.id, c.typ, c.object, c.created), "whsec_a", time.Now())); code != c.want {
			t.Fatalf("%s (%s): %d; want %d", c.name, c.id, code, c.want)
		}
	}
	metrics := scrape(t, s)
	for name, want := range map[string]float64{
		`hookgate_route_matches_total{route="audit"}`:    1, // evt_2 accepted; the ping's copy was discarded by the drop
		`hookgate_route_matches_total{route="no-pings"}`: 1, // evt_ping accepted and dropped
	} {
		if got := metrics[name]; got != want {
			t.Errorf("%s = %v; want %v", name, got, want)
		}
	}
	if n := streamCount(t, s); n != 2 {
		t.Errorf("stream holds %d messages; want 2 (evt_2 and its audit copy)", n)
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

// TestRouteCopyIDs: an event whose ID ends in "@<route>" (what a route's
// copy of another event was named in earlier versions) is an event of its
// own, whichever backend decides: accepted, and on the stream beside the
// other event's copy, which the stream's duplicate window used to drop it
// for (the sqlite backend answered 202 and lost it; the jetstream backend
// answered it as a duplicate).
func TestRouteCopyIDs(t *testing.T) {
	const routes = "routes:\n  - name: audit\n    subject: \"webhooks.audit.{provider}\"\n"
	post := func(t *testing.T, s *Server, id string) {
		t.Helper()
		body := fmt.Sprintf(`{"id":%q,"type":"invoice.paid","created":1,"data":{"object":{"id":"in_1"}}}`, id)
		if code := postTo(t, s, stripeRequest(t, body, "whsec_a", time.Now())); code != 202 {
			t.Fatalf("%s: %d; want 202", id, code)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		s := mustServer(t, routes, providerYAML("shop", "stripe", "whsec_a"))
		for _, id := range []string{"evt_1", "evt_1@audit", "evt_2"} {
			post(t, s, id)
		}
		// The relay publishes in order: once evt_2 is on the stream, so is
		// what was accepted before it, or the stream dropped it.
		st := testkit.Stream(t, s.NATSURL(), forward.DefaultStreamName)
		testkit.WaitFor(t, 10*time.Second, testkit.Says("evt_2 never reached the stream"), func() bool {
			m, err := st.GetLastMsgForSubject(context.Background(), "webhooks.shop.invoice.paid")
			return err == nil && m.Header.Get(forward.HeaderEventID) == "evt_2"
		})
		want := []string{"shop@audit:evt_1", "shop:evt_1", "shop@audit:evt_1@audit", "shop:evt_1@audit", "shop@audit:evt_2", "shop:evt_2"}
		var got []string
		for seq := uint64(1); seq <= streamCount(t, s); seq++ {
			got = append(got, streamMsg(t, s, seq).Header.Get(forward.HeaderMsgID))
		}
		if !slices.Equal(got, want) {
			t.Errorf("the stream holds %q; want %q", got, want)
		}
	})
	t.Run("jetstream", func(t *testing.T) {
		ns := testkit.StartNATS(t)
		c := mustValid(t, testkit.GatewayYAML(t.TempDir(), fmt.Sprintf(`storage: {backend: jetstream}
nats: {url: %q, create_stream: true}
http: {shutdown_timeout: 1s}`, ns.URL()), "providers:"+providerYAML("shop", "stripe", "whsec_a"), routes))
		s := mustOpen(t, c)
		post(t, s, "evt_1")
		post(t, s, "evt_1@audit")
		st := testkit.Stream(t, ns.URL(), forward.DefaultStreamName)
		for _, subject := range []string{"webhooks.audit.shop", "webhooks.shop.invoice.paid"} {
			if n := testkit.SubjectCount(t, st, subject); n != 2 {
				t.Errorf("%s holds %d messages; want 2", subject, n)
			}
		}
	})
}

// TestRouteTimeout: a condition that would run for minutes on an event
// (comprehensions nested over its body's list) is stopped at
// route.EvalTimeout; the event is answered 503, nothing is recorded or
// forwarded (the sender retries), and the failure is counted.
func TestRouteTimeout(t *testing.T) {
	s := mustServer(t, `routes:
  - name: pairs
    when: 'body.items.exists(x, body.items.exists(y, y == x + 0.5))'
    subject: "webhooks.pairs.{provider}"
`, providerYAML("shop", "stripe", "whsec_a"))
	items := strings.TrimSuffix(strings.Repeat("0,", 50_000), ",")
	body := `{"id":"evt_1","type":"invoice.paid","created":1,"items":[` + items + `]}`
	// Not forwarded without the copy the condition might have given it:
	// 503, for the sender to retry, and nothing recorded.
	if resp := postRaw(t, s, stripeRequest(t, body, "whsec_a", time.Now())); resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("evt_1: %d (Retry-After %q); want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := streamCount(t, s); n != 0 {
		t.Errorf("stream holds %d messages; want none", n)
	}
	var rows int
	if err := s.db.Read.QueryRow(`SELECT count(*) FROM processed_events`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("processed_events holds %d rows (%v); want none (a retry must be decided afresh)", rows, err)
	}
	if got := scrape(t, s)[`hookgate_route_errors_total{route="pairs"}`]; got != 1 {
		t.Errorf(`hookgate_route_errors_total{route="pairs"} = %v; want 1`, got)
	}
}

// TestReplayRouteTimeout: a replay whose route condition runs out of time
// on an archived event stops there, with an error naming the route, and
// queues nothing of that event (not the event without its copy).
func TestReplayRouteTimeout(t *testing.T) {
	s := mustServer(t, "archive: {enabled: true}", providerYAML("shop", "stripe", "whsec_a"))
	items := strings.TrimSuffix(strings.Repeat("0,", 50_000), ",")
	body := `{"id":"evt_1","type":"invoice.paid","created":1,"items":[` + items + `]}`
	if code := postTo(t, s, stripeRequest(t, body, "whsec_a", time.Now())); code != 202 {
		t.Fatalf("evt_1: %d; want 202", code)
	}
	rs, err := newRules([]config.Route{{Name: "pairs", When: "body.items.exists(x, body.items.exists(y, y == x + 0.5))", Subject: "webhooks.pairs.{provider}"}})
	if err != nil {
		t.Fatal(err)
	}
	q := forward.Query{Provider: "shop"}
	if q.Expand, err = expander(rs, s.table.Load(), ""); err != nil {
		t.Fatal(err)
	}
	_, c, err := s.Replay(context.Background(), q, "")
	if !errors.Is(err, route.ErrTimeout) || !strings.Contains(err.Error(), `route "pairs"`) || c.Messages != 0 {
		t.Errorf("replay = %+v, %v; want nothing queued and an error naming route pairs's timeout", c, err)
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
	want := []string{"shop@big:evt_big", "shop@audit:evt_big", "shop:evt_big",
		"shop@big:evt_big:replay:" + all, "shop@audit:evt_big:replay:" + all, "shop:evt_big:replay:" + all,
		"shop@big:evt_big:replay:" + big}
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
