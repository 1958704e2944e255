package jsstore

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/webhook"
)

// TestPublishAnswered: the tries made after an incomplete batch store a
// batch the stream takes, as one atomic batch, and return the stream's
// answer to its last message when that is a refusal (an expectation
// checked at the commit).
func TestPublishAnswered(t *testing.T) {
	srv, err := forward.StartServer(forward.ServerConfig{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	_, js := testkit.JetStream(t, srv.ClientURL())
	ctx := context.Background()
	if err := forward.EnsureStream(ctx, js, forward.StreamConfig{
		Duplicates: time.Second, Decisions: true, DecisionSubjects: Subjects,
	}); err != nil {
		t.Fatal(err)
	}
	d, err := New(ctx, js, forward.DefaultStreamName, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ev := &webhook.Event{Provider: "p", ID: "evt_1", Key: "p:evt_1", TTL: time.Hour,
		Message: forward.Message{ID: "p:evt_1", Subject: "webhooks.p.t", Header: nats.Header{}, Body: []byte("{}")}}
	batch := []*nats.Msg{claimMsg(subject(ClaimPrefix, "p", "evt_1"), ev), ev.Message.NATSMsg(nil)}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := d.publishAnswered(ctx, batch); err != nil {
		t.Fatalf("publishAnswered = %v", err)
	}
	info, err := d.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("stream holds %d messages; want the batch's 2", info.State.Msgs)
	}
	m, err := d.stream.GetMsg(ctx, info.State.LastSeq)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get(jetstream.MsgIDHeader) != "p:evt_1" || m.Header.Get("Nats-Batch-Commit") != "1" {
		t.Errorf("last message %s, headers %v; want the event, committing the batch", m.Subject, m.Header)
	}
	// Again: the claim exists.
	if err := d.publishAnswered(ctx, batch); !hasCode(err, wrongLastSequence) {
		t.Fatalf("publishAnswered again = %v; want the claim's refused expectation (%d)", err, wrongLastSequence)
	}
}
