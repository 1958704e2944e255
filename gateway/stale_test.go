package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
)

// TestStaleForward: with ordering.stale forward a stale event is answered
// stale and published to the stale subject, marked Hookgate-Stale with its
// entity's current version; its retry is a duplicate and publishes
// nothing more; a provider without it forwards no stale event.
func TestStaleForward(t *testing.T) {
	s := mustServer(t, "", providerYAML("shop", "stripe", "whsec_a", "ordering: {key: data.object.id, version: created, stale: forward}")+
		providerYAML("plain", "stripe", "whsec_b", "ordering: {key: data.object.id, version: created}"))
	post := func(provider, secret, id string, created int64) int {
		req := stripeRequest(t, stripeBody(id, "order.updated", "ord_1", created), secret, time.Now())
		req.URL.Path = "/webhooks/" + provider
		return postTo(t, s, req)
	}
	for _, c := range []struct {
		provider, secret, id string
		created              int64
		want                 int
	}{
		{provider: "shop", secret: "whsec_a", id: "evt_2", created: 2, want: 202},
		{provider: "shop", secret: "whsec_a", id: "evt_1", created: 1, want: 200}, // stale, kept
		{provider: "shop", secret: "whsec_a", id: "evt_1", created: 1, want: 200}, // its retry: a duplicate
		{provider: "plain", secret: "whsec_b", id: "evt_2", created: 2, want: 202},
		{provider: "plain", secret: "whsec_b", id: "evt_1", created: 1, want: 200}, // stale, dropped
	} {
		if code := post(c.provider, c.secret, c.id, c.created); code != c.want {
			t.Fatalf("%s %s: %d; want %d", c.provider, c.id, code, c.want)
		}
	}
	m := streamMsg(t, s, 2)
	if m.Subject != "webhooks.stale.shop.order.updated" || m.Header.Get(forward.HeaderMsgID) != "shop:evt_1" ||
		m.Header.Get(forward.HeaderStale) != "true" || m.Header.Get(forward.HeaderCurrentVersion) != "2" ||
		m.Header.Get(forward.HeaderEventID) != "evt_1" {
		t.Errorf("message 2: %s %v; want shop:evt_1 on webhooks.stale.shop.order.updated, Hookgate-Stale true, Hookgate-Current-Version 2", m.Subject, m.Header)
	}
	if n := streamCount(t, s); n != 3 {
		t.Errorf("stream holds %d messages; want 3 (shop evt_2, its stale evt_1 once, plain evt_2)", n)
	}
}

// TestStaleForwardReplay: a kept stale event is archived as the message
// it was forwarded as, and a replay sends that again.
func TestStaleForwardReplay(t *testing.T) {
	s := mustServer(t, "archive: {enabled: true}", providerYAML("shop", "stripe", "whsec_a", "ordering: {key: data.object.id, version: created, stale: forward}"))
	for _, c := range []struct {
		id      string
		created int64
		want    int
	}{{id: "evt_2", created: 2, want: 202}, {id: "evt_1", created: 1, want: 200}} {
		if code := postTo(t, s, stripeRequest(t, stripeBody(c.id, "order.updated", "ord_1", c.created), "whsec_a", time.Now())); code != c.want {
			t.Fatalf("%s: %d; want %d", c.id, code, c.want)
		}
	}
	id, c, err := s.Replay(context.Background(), forward.Query{Provider: "shop"}, "")
	if err != nil || c.Events != 2 {
		t.Fatalf("Replay = %+v, %v; want the accepted event and the kept stale one", c, err)
	}
	m := streamMsg(t, s, 4)
	if m.Subject != "webhooks.stale.shop.order.updated" || m.Header.Get(forward.HeaderMsgID) != "shop:evt_1:replay:"+id ||
		m.Header.Get(forward.HeaderStale) != "true" || m.Header.Get(forward.HeaderCurrentVersion) != "2" {
		t.Errorf("replayed message 4: %s %v; want shop:evt_1's stale message again", m.Subject, m.Header)
	}
}
