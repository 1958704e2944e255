package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

// TestDeliveriesInProcess: a deliveries: entry of serve POSTs each
// accepted event to its URL; with nats.sign it checks the gateway's own
// key, so a message published on the bus by someone else is never POSTed.
// Its requests are counted on /metrics.
func TestDeliveriesInProcess(t *testing.T) {
	var (
		mu  sync.Mutex
		got []string
	)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Header.Get(forward.HeaderEventID)+" "+string(body))
		mu.Unlock()
	}))
	defer rc.Close()
	keyFile, _ := signingKey(t)
	s := mustOpen(t, mustValid(t, testkit.GatewayYAML(t.TempDir(),
		"nats: {port: -1, sign: {key_file: "+keyFile+"}}",
		fmt.Sprintf("deliveries: [{name: orders, url: %q, subjects: [\"webhooks.shop.>\"]}]", rc.URL),
		"providers:"+providerYAML("shop", "stripe", "whsec_a"))))
	body := stripeBody("evt_1", "invoice.paid", "in_1", 1)
	if code := postTo(t, s, stripeRequest(t, body, "whsec_a", time.Now())); code != 202 {
		t.Fatalf("post: %d; want 202", code)
	}
	nc, err := nats.Connect(s.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	forged := forward.Message{ID: "shop:evt_forged", Subject: "webhooks.shop.invoice.paid",
		Header: nats.Header{forward.HeaderEventID: {"evt_forged"}}, Body: []byte(`{"forged":true}`)}
	if err := nc.PublishMsg(forged.NATSMsg(nil)); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 20*time.Second, testkit.Says("a delivery counted on /metrics"), func() bool {
		return scrape(t, s)[`hookgate_delivery_requests_total{code="200",delivery="orders",outcome="delivered"}`] == 1
	})
	_, js := testkit.JetStream(t, s.NATSURL())
	dead, err := js.Stream(context.Background(), forward.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 20*time.Second, testkit.Says("the forged message dead-lettered"), func() bool {
		info, err := dead.Info(context.Background())
		return err == nil && info.State.Msgs == 1
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "evt_1 "+body {
		t.Errorf("the service got %q; want evt_1 alone, its body as sent", got)
	}
}
