package webhook_test

import (
	"math"
	"testing"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/webhook"
)

// TestStaleMessage: the kept stale message is the event's on its stale
// subject, marked, and StaleHeaderSize bounds what it adds to the headers
// (the gateway's size check counts on it).
func TestStaleMessage(t *testing.T) {
	ev := &webhook.Event{Message: forward.Message{ID: "p:e", Subject: "webhooks.p.t",
		Header: map[string][]string{forward.HeaderEventID: {"e"}}, Body: []byte("{}")}}
	if _, ok := ev.StaleMessage(1); ok {
		t.Fatal("StaleMessage without a StaleSubject; want none")
	}
	ev.StaleSubject = "webhooks.stale.p.t"
	for _, v := range []int64{0, 7, math.MaxInt64, math.MinInt64} {
		m, ok := ev.StaleMessage(v)
		if !ok || m.Subject != ev.StaleSubject || m.ID != "p:e" || m.Header.Get(forward.HeaderStale) != "true" || m.Header.Get(forward.HeaderEventID) != "e" {
			t.Fatalf("StaleMessage(%d) = %+v, %v", v, m, ok)
		}
		if grew := m.HeaderSize() - ev.Message.HeaderSize(); grew > webhook.StaleHeaderSize || (v == math.MinInt64 && grew != webhook.StaleHeaderSize) {
			t.Errorf("StaleMessage(%d) adds %d header bytes; StaleHeaderSize is %d", v, grew, webhook.StaleHeaderSize)
		}
	}
	if len(ev.Message.Header) != 1 {
		t.Errorf("the event's own headers changed: %v", ev.Message.Header)
	}
	ev.Drop = true
	if _, ok := ev.StaleMessage(1); ok {
		t.Error("StaleMessage of a dropped event; want none")
	}
}
