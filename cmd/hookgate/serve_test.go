package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

// TestEndToEnd drives the whole pipeline: signed Stripe events in, NATS
// messages out, through the real serve command, SQLite file and embedded
// NATS server.
func TestEndToEnd(t *testing.T) {
	m := mustMain(t, stripeProvider)
	s := stream(t, m)
	ctx := context.Background()

	// A bad signature is refused and leaves no row in any table.
	first := "{\n  \"id\": \"evt_1\",\n  \"type\": \"customer.updated\",\n  \"created\": 200,\n  \"data\": {\"object\": {\"id\": \"cus_1\"}}\n}\n"
	if code, _ := post(t, m, first, "whsec_wrong"); code != 401 {
		t.Fatalf("bad signature: status %d; want 401", code)
	}
	if got := rows(t, m); got["processed_events"]+got["entity_versions"]+got["outbox"] != 0 {
		t.Fatalf("rows after a bad signature = %v; want none", got)
	}

	// A signed event is accepted and arrives once, byte for byte.
	if code, resp := post(t, m, first, stripeSecret); code != 202 || resp["status"] != "accepted" || resp["id"] != "evt_1" {
		t.Fatalf("first delivery: %d %v; want 202 accepted evt_1", code, resp)
	}
	if n := settled(t, m, s); n != 1 {
		t.Fatalf("stream has %d messages; want 1", n)
	}
	msg, err := s.GetLastMsgForSubject(ctx, "webhooks.stripe.customer.updated")
	if err != nil {
		t.Fatalf("no message on webhooks.stripe.customer.updated: %v", err)
	}
	if string(msg.Data) != first {
		t.Errorf("forwarded body = %q; want the raw body %q", msg.Data, first)
	}
	for k, want := range map[string]string{
		"Nats-Msg-Id":               "stripe:evt_1",
		"Hookgate-Provider":         "stripe",
		"Hookgate-Event-Id":         "evt_1",
		"Hookgate-Event-Type":       "customer.updated",
		"Hookgate-Ordering-Key":     "cus_1",
		"Hookgate-Ordering-Version": "200",
	} {
		if got := msg.Header.Get(k); got != want {
			t.Errorf("header %s = %q; want %q", k, got, want)
		}
	}

	// The same event again is a duplicate and adds nothing to the stream.
	if code, resp := post(t, m, first, stripeSecret); code != 200 || resp["status"] != "duplicate" {
		t.Fatalf("redelivery: %d %v; want 200 duplicate", code, resp)
	}
	// An older version of the same entity is stale and adds nothing.
	older := `{"id":"evt_0","type":"customer.updated","created":100,"data":{"object":{"id":"cus_1"}}}`
	if code, resp := post(t, m, older, stripeSecret); code != 200 || resp["status"] != "stale" {
		t.Fatalf("older version: %d %v; want 200 stale", code, resp)
	}
	if n := settled(t, m, s); n != 1 {
		t.Fatalf("stream has %d messages after duplicate and stale; want 1", n)
	}

	// A newer version is forwarded.
	newer := `{"id":"evt_2","type":"customer.updated","created":300,"data":{"object":{"id":"cus_1"}}}`
	if code, _ := post(t, m, newer, stripeSecret); code != 202 {
		t.Fatalf("newer version: status %d; want 202", code)
	}
	if n := settled(t, m, s); n != 2 {
		t.Fatalf("stream has %d messages; want 2", n)
	}

	// An oversized body is refused before anything is recorded. (The
	// newer version's claim may commit after its answer: wait for it.)
	var before map[string]int
	testkit.WaitFor(t, 10*time.Second, func() string { return fmt.Sprintf("rows %v; want 3 claims (evt_1, the stale evt_0, evt_2)", before) }, func() bool {
		before = rows(t, m)
		return before["processed_events"] == 3
	})
	big := `{"id":"evt_big","type":"x","created":400,"data":{"object":{"id":"cus_2"},"pad":"` + strings.Repeat("x", 5000) + `"}}`
	if code, _ := post(t, m, big, stripeSecret); code != 413 {
		t.Fatalf("oversized body: status %d; want 413", code)
	}
	if after := rows(t, m); after["processed_events"] != before["processed_events"] {
		t.Fatalf("processed_events %d -> %d after a 413", before["processed_events"], after["processed_events"])
	}
}

// TestServeStoppedWhileStarting: a SIGTERM (the context's end) while serve
// starts is a stop, not a failure: exit 0, said on stderr, and the data
// directory is free for the next start.
func TestServeStoppedWhileStarting(t *testing.T) {
	path := gatewayConfig(t, testkit.EmbeddedNATS, "providers:"+stripeProvider)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stderr strings.Builder
	if code := Run(ctx, []string{"serve", "-config", path}, io.Discard, &stderr); code != 0 {
		t.Fatalf("serve stopped while starting: exit %d, stderr %q; want 0", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopped while starting") {
		t.Errorf("stderr %q; want it to say serve stopped while starting", stderr.String())
	}
	m := NewMain(io.Discard, io.Discard)
	if err := m.ParseFlags([]string{"-config", path}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("the next start: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}
