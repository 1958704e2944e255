package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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

// TestDeliveriesStopTogether: at shutdown the deliveries' requests in
// flight get http.shutdown_timeout all at once, not one after another (the
// third would otherwise wait for the first two's).
func TestDeliveriesStopTogether(t *testing.T) {
	var (
		mu  sync.Mutex
		cut = map[string]time.Time{} // when each delivery's request was cut
	)
	started := make(chan string, 3)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("d")
		io.Copy(io.Discard, r.Body) // (then the server sees the client go)
		started <- name
		<-r.Context().Done()
		mu.Lock()
		cut[name] = time.Now()
		mu.Unlock()
	}))
	defer rc.Close()
	var deliveries []string
	for _, d := range []string{"a", "b", "c"} {
		deliveries = append(deliveries, fmt.Sprintf(`{name: %s, url: "%s/?d=%s", subjects: ["webhooks.shop.>"], timeout: 1m}`, d, rc.URL, d))
	}
	s, err := Open(context.Background(), mustValid(t, testkit.GatewayYAML(t.TempDir(),
		"http: {shutdown_timeout: 2s}",
		fmt.Sprintf("deliveries: [%s]", strings.Join(deliveries, ", ")),
		"providers:"+providerYAML("shop", "stripe", "whsec_a"))), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if code := postTo(t, s, stripeRequest(t, stripeBody("evt_1", "invoice.paid", "in_1", 1), "whsec_a", time.Now())); code != 202 {
		t.Fatalf("post: %d; want 202", code)
	}
	for range 3 {
		select {
		case <-started:
		case <-time.After(20 * time.Second):
			t.Fatal("the deliveries' requests did not all start")
		}
	}
	s.Close(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if len(cut) != 3 {
		t.Fatalf("%d requests cut at shutdown; want 3", len(cut))
	}
	first, last := cut["a"], cut["a"]
	for _, at := range cut {
		if at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	// Together: within moments of each other; one after another: 2 s apart.
	if last.Sub(first) > time.Second {
		t.Errorf("the requests were cut over %v; want together (one shutdown_timeout for all)", last.Sub(first))
	}
}
