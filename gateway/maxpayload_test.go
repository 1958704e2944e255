package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/store"
)

// smallNATS starts a NATS server (JetStream) taking messages of at most
// maxPayload bytes, and returns its URL.
func smallNATS(t *testing.T, maxPayload int32) string {
	ns, err := forward.StartServer(forward.ServerConfig{Port: -1, StoreDir: t.TempDir(), MaxPayload: maxPayload})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns.ClientURL()
}

// TestMaxBodyAgainstMaxPayload: against a NATS server with a small
// max_payload, a provider whose max_body does not fit is refused at start
// and at reload; a body within max_body whose message does not fit with its
// headers is refused with 413 and leaves no trace; a smaller one passes.
func TestMaxBodyAgainstMaxPayload(t *testing.T) {
	const limit = 64 << 10
	natsURL := smallNATS(t, limit)
	cfgFor := func(maxBody int) *config.Config {
		return mustValid(t, testkit.GatewayYAML(t.TempDir(), fmt.Sprintf(`nats: {url: %q, create_stream: true}
providers: [{name: shop, type: stripe, secrets: [whsec_a], max_body: %d}]`, natsURL, maxBody)))
	}

	_, err := Open(context.Background(), cfgFor(limit+1), Options{Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "max_payload 65536") {
		t.Fatalf("Open with max_body over max_payload = %v; want config.ErrInvalid naming max_payload", err)
	}

	s, err := Open(context.Background(), cfgFor(limit), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Open with max_body = max_payload: %v", err)
	}
	defer s.Close(context.Background())
	pad := func(id string, n int) string {
		b := stripeBody(id, "t", "o", 1)
		return b[:len(b)-1] + `,"pad":"` + strings.Repeat("x", n-len(b)-9) + `"}`
	}
	big := pad("big", limit-100) // under max_body, over max_payload with the headers
	if code := postTo(t, s, stripeRequest(t, big, "whsec_a", time.Now())); code != 413 {
		t.Errorf("a body whose message exceeds max_payload: %d; want 413", code)
	}
	if code := postTo(t, s, stripeRequest(t, pad("small", 1000), "whsec_a", time.Now())); code != 202 {
		t.Errorf("a small body: %d; want 202", code)
	}
	// The answer may come before the commit (the stream has the event):
	// wait for the claim.
	var n int
	testkit.WaitFor(t, 10*time.Second, func() string { return fmt.Sprintf("processed events = %d; want only the small one", n) }, func() bool {
		if err := s.db.Read.QueryRow(`SELECT count(*) FROM processed_events`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	})

	if _, err := s.Reload(cfgFor(2 * limit)); !errors.Is(err, config.ErrInvalid) {
		t.Errorf("reload to a max_body over max_payload = %v; want config.ErrInvalid", err)
	}
}

// TestEmbeddedSizedToMaxBody: the embedded server takes the largest
// max_body, even above NATS's 8 MiB default, so such an event is published
// rather than stalling the relay.
func TestEmbeddedSizedToMaxBody(t *testing.T) {
	s := mustServer(t, "", providerYAML("shop", "stripe", "whsec_a", "max_body: 10485760"))
	b := stripeBody("huge", "t", "o", 1)
	body := b[:len(b)-1] + `,"pad":"` + strings.Repeat("x", 9<<20) + `"}`
	if code := postTo(t, s, stripeRequest(t, body, "whsec_a", time.Now())); code != 202 {
		t.Fatalf("a 9 MiB body: %d; want 202", code)
	}
	waitPublished(t, s, 1, "the 9 MiB event")
}

// TestReplayFitsMaxPayload: the largest event the gateway accepts under a
// small max_payload can also be replayed: its copy, with a longer
// Nats-Msg-Id and a Hookgate-Replay header, is published rather than
// stalling the relay.
func TestReplayFitsMaxPayload(t *testing.T) {
	const limit = 64 << 10
	natsURL := smallNATS(t, limit)
	s, err := Open(context.Background(), mustValid(t, testkit.GatewayYAML(t.TempDir(), fmt.Sprintf(`archive: {enabled: true}
nats: {url: %q, create_stream: true}
providers: [{name: shop, type: stripe, secrets: [whsec_a], max_body: %d}]`, natsURL, limit))), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	pad := func(id string, n int) string {
		b := stripeBody(id, "t", "o", 1)
		return b[:len(b)-1] + `,"pad":"` + strings.Repeat("x", n-len(b)-9) + `"}`
	}
	largest := ""
	for n := limit - 1000; n < limit; n += 10 {
		id := fmt.Sprintf("e%d", n)
		if code := postTo(t, s, stripeRequest(t, pad(id, n), "whsec_a", time.Now())); code != 202 {
			break
		}
		largest = id
	}
	if largest == "" {
		t.Fatal("no body near the limit was accepted")
	}
	if err := s.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := s.relay.Stats().Published
	if _, c, err := s.Replay(context.Background(), forward.Query{Provider: "shop", EventID: largest}, ""); err != nil || c.Events != 1 {
		n := c.Events
		t.Fatalf("replay of %s = %d, %v; want 1", largest, n, err)
	}
	waitPublished(t, s, before+1, "the replay of "+largest+" (a copy over max_payload stalls the relay)")
}

// TestEmbeddedSizedToOutbox: a row accepted under an earlier, larger
// max_body and still in the outbox at start is published: the embedded
// server is sized to it, not only to the current config.
func TestEmbeddedSizedToOutbox(t *testing.T) {
	dir := t.TempDir()
	db, err := OpenDB(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Write.Begin()
	if err != nil {
		t.Fatal(err)
	}
	big := forward.Message{ID: "shop:big", Subject: "webhooks.shop.t", Body: []byte(strings.Repeat("x", 9<<20))}
	if err := forward.Enqueue(context.Background(), tx, big, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(context.Background(), mustValid(t, testkit.GatewayYAML(dir, `nats: {port: -1}
providers: [{name: shop, type: stripe, secrets: [whsec_a]}]`)), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	waitPublished(t, s, 1, "the 9 MiB row left in the outbox")
}

// TestMaxBodyAgainstFileStore: with a max_payload and max_body above
// JetStream's file store record limit (32 MiB), a body under max_body
// whose message the stream's file store would refuse is refused with 413,
// naming the limit, and leaves no trace: accepted, it would wait in the
// outbox until parked.
func TestMaxBodyAgainstFileStore(t *testing.T) {
	natsURL := smallNATS(t, 40<<20)
	s := mustOpen(t, mustValid(t, testkit.GatewayYAML(t.TempDir(), fmt.Sprintf(`nats: {url: %q, create_stream: true}
providers: [{name: shop, type: stripe, secrets: [whsec_a], max_body: %d}]`, natsURL, 36<<20))))
	b := stripeBody("huge", "t", "o", 1)
	huge := b[:len(b)-1] + `,"pad":"` + strings.Repeat("x", 33<<20) + `"}`
	resp := postRaw(t, s, stripeRequest(t, huge, "whsec_a", time.Now()))
	if resp.StatusCode != 413 {
		t.Fatalf("a 33 MiB body: %d; want 413", resp.StatusCode)
	}
	var n int
	if err := s.db.Read.QueryRow(`SELECT (SELECT count(*) FROM processed_events) + (SELECT count(*) FROM outbox)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d claims and outbox rows after the refused event; want none", n)
	}
}
