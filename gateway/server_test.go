package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

// TestOpenFailureStopsEverything makes the last step of Open fail and checks
// that what was started before it is stopped: no half-started gateway.
func TestOpenFailureStopsEverything(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	natsPort := testkit.FreePort(t)
	c := mustValid(t, fmt.Sprintf(`
listen: %s
admin: {listen: "127.0.0.1:0"}
data_dir: %s
nats: {port: %d}
providers: [{name: a, type: github, secrets: [s]}]
`, busy.Addr(), t.TempDir(), natsPort))
	s, err := Open(context.Background(), c, Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		s.Close(context.Background())
		t.Fatal("Open on a busy port succeeded")
	}
	if s != nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Open = %v, %v; want nil and an error naming listen", s, err)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", natsPort))
	if err != nil {
		t.Fatalf("embedded NATS still holds its port after a failed Open: %v", err)
	}
	l.Close()
}

func TestOpenUnreachableNATS(t *testing.T) {
	c := mustValid(t, testkit.GatewayYAML(t.TempDir(), fmt.Sprintf(`nats: {url: "nats://127.0.0.1:%d"}
providers: [{name: a, type: github, secrets: [s]}]`, testkit.FreePort(t))))
	_, err := Open(context.Background(), c, Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "nats: connect") {
		t.Fatalf("Open = %v; want a nats connect error", err)
	}
}

// TestStorageFullRecovers makes the database full (SQLite's max_page_count,
// which fails writes with SQLITE_FULL as a full disk does): new events get
// 503 and leave nothing behind, and the gateway accepts again once there
// is room.
func TestStorageFullRecovers(t *testing.T) {
	c := mustValid(t, testkit.GatewayYAML(t.TempDir(), testkit.EmbeddedNATS, "providers:"+providerYAML("shop", "stripe", "whsec_full")))
	s := mustOpen(t, c)
	post := func(id string) int {
		body := fmt.Sprintf(`{"id":%q,"type":"t","pad":%q}`, id, strings.Repeat("x", 3000))
		req := stripeRequest(t, body, "whsec_full", time.Now())
		req.URL.Path = "/webhooks/shop"
		req.RequestURI = ""
		req.URL.Scheme, req.URL.Host = "http", s.Addr().String()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
		return resp.StatusCode
	}
	if code := post("evt_0"); code != 202 {
		t.Fatalf("first event: %d; want 202", code)
	}
	// Stop the relay: deleting published rows would free pages for the
	// next events, and the database would not fill (a flaky test).
	if err := s.relay.Close(); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := s.db.Write.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Write.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	// The bodies go to the stream, so only claims fill the free pages: send
	// until five in a row are refused.
	full, accepted := 0, 1
	for i := 1; i <= 2000 && full < 5; i++ {
		switch code := post(fmt.Sprintf("evt_%d", i)); code {
		case 503:
			full++
		case 202:
			accepted++
			full = 0
		default:
			t.Fatalf("event %d with the disk full: %d; want 202 or 503", i, code)
		}
	}
	if full == 0 {
		t.Fatal("no 503 with the database full")
	}
	var claimed int
	if err := s.db.Read.QueryRow(`SELECT count(*) FROM processed_events`).Scan(&claimed); err != nil {
		t.Fatal(err)
	}
	if claimed != accepted {
		t.Errorf("processed_events has %d rows; want %d (the accepted events only)", claimed, accepted)
	}
	ready := func() int {
		resp, err := http.Get("http://" + s.AdminAddr().String() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ready(); code != 503 {
		t.Errorf("/readyz with the database full: %d; want 503", code)
	}
	if _, err := s.db.Write.Exec(`PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	// Ready again without a request having to commit first: a load
	// balancer sends none to a gateway that is not ready.
	testkit.WaitFor(t, 5*time.Second, func() string { return "/readyz still 503 after the database had room again" },
		func() bool { return ready() == 200 })
	if code := post("evt_after"); code != 202 {
		t.Fatalf("event after room was made: %d; want 202", code)
	}
}

// TestCloseCutsSlowRequests: a request still in flight at
// http.shutdown_timeout is cut, and Close still succeeds (serve exits 0).
func TestCloseCutsSlowRequests(t *testing.T) {
	c := mustValid(t, testkit.GatewayYAML(t.TempDir(), `nats: {port: -1}
http: {shutdown_timeout: 200ms}
providers: [{name: shop, type: stripe, secrets: [whsec_a]}]`))
	s, err := Open(context.Background(), c, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers and a promise of 100 bytes of body, of which one arrives.
	fmt.Fprintf(conn, "POST /webhooks/shop HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
	testkit.WaitFor(t, 10*time.Second, func() string { return "the request never reached its handler" },
		func() bool { return s.receiving.Load() > 0 }) // the handler is reading the body
	start := time.Now()
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("Close with a request cut at the shutdown timeout = %v; want nil", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v; want it bounded by the shutdown timeout", d)
	}
}
