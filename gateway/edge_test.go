package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/webhook"
)

func TestClientAddr(t *testing.T) {
	trusted, err := parsePrefixes([]string{"10.0.0.0/8", "192.168.1.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"no proxy", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"spoofed header from an untrusted peer", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted proxy", "10.1.2.3:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"chain of trusted proxies", "10.1.2.3:443", []string{"198.51.100.1, 192.168.1.1", "10.9.9.9"}, "198.51.100.1"},
		{"client spoofs the left of the chain", "10.1.2.3:443", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"trusted proxy without header", "10.1.2.3:443", nil, "10.1.2.3"},
		{"garbled hop", "10.1.2.3:443", []string{"1.1.1.1, nonsense"}, "10.1.2.3"},
		{"ipv4-mapped peer", "[::ffff:203.0.113.7]:5000", nil, "203.0.113.7"},
		{"ipv6", "[2001:db8::1]:5000", nil, "2001:db8::1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", nil)
			req.RemoteAddr = c.remote
			for _, h := range c.xff {
				req.Header.Add("X-Forwarded-For", h)
			}
			got, ok := clientAddr(req, trusted)
			if !ok || got != netip.MustParseAddr(c.want) {
				t.Errorf("clientAddr = %v, %v; want %s", got, ok, c.want)
			}
		})
	}
	if _, err := parsePrefixes([]string{"10.0.0.0/33"}); err == nil {
		t.Error("parsePrefixes(10.0.0.0/33) = nil; want an error")
	}
}

// edgeHandler builds a handler with one stripe provider carrying extra
// settings, and returns it with its decider.
func edgeHandler(t *testing.T, httpCfg, providerExtra string) (http.Handler, *fakeDecider, *Server) {
	t.Helper()
	c := mustValid(t, fmt.Sprintf(`
listen: 127.0.0.1:0
http: {%s}
providers:
  - name: shop
    type: stripe
    secrets: [whsec_new]
%s
`, httpCfg, providerExtra))
	providers, err := buildProviders(c, false)
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDecider{outcome: webhook.Accepted}
	s := testServer(t, c, d, nil)
	return s.routes(providers), d, s
}

func TestAllowlist(t *testing.T) {
	h, _, _ := edgeHandler(t, "trusted_proxies: [10.0.0.0/8]", "    allow: [198.51.100.0/24]")
	for _, c := range []struct {
		name, remote, xff string
		status            int
	}{
		{"allowed peer", "198.51.100.9:1000", "", 202},
		{"other peer", "203.0.113.7:1000", "", 403},
		{"spoofed header from an untrusted peer", "203.0.113.7:1000", "198.51.100.9", 403},
		{"allowed client behind a trusted proxy", "10.0.0.5:1000", "198.51.100.9", 202},
		{"other client behind a trusted proxy", "10.0.0.5:1000", "203.0.113.7", 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := stripeRequest(t, stripeBody("e_"+c.name, "t", "o", 1), "whsec_new", testNow)
			req.URL.Path = "/webhooks/shop"
			req.RemoteAddr = c.remote
			if c.xff != "" {
				req.Header.Set("X-Forwarded-For", c.xff)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Errorf("status %d (%s); want %d", rec.Code, rec.Body, c.status)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	h, d, _ := edgeHandler(t, "", "    rate_limit: {rps: 1, burst: 3}")
	var codes []int
	var retry string
	for i := range 5 {
		req := stripeRequest(t, stripeBody(fmt.Sprintf("e%d", i), "t", "o", 1), "whsec_new", testNow)
		req.URL.Path = "/webhooks/shop"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		codes = append(codes, rec.Code)
		if rec.Code == 429 {
			retry = rec.Header().Get("Retry-After")
		}
	}
	if fmt.Sprint(codes) != "[202 202 202 429 429]" {
		t.Fatalf("statuses %v; want the burst of 3 then 429", codes)
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 1 || n > 2 {
		t.Errorf("Retry-After = %q; want 1 or 2 seconds at 1 rps", retry)
	}
	if len(d.events) != 3 {
		t.Errorf("%d events decided; want 3 (rate-limited ones are not)", len(d.events))
	}
}

// TestAdmission fills the work slots by hand and checks which requests
// still get one: the gateway's total, one provider's share and one client
// address's share each refuse with 503 and Retry-After, naming the limit,
// while a request outside the full share is served.
func TestAdmission(t *testing.T) {
	h, _, s := edgeHandler(t, "max_in_flight: 4, max_in_flight_per_provider: 3, max_in_flight_per_client: 2", "")
	a := s.admission
	other := netip.MustParseAddr("198.51.100.7")
	send := func(remote string) *httptest.ResponseRecorder {
		req := stripeRequest(t, stripeBody("e-"+remote, "t", "o", 1), "whsec_new", testNow)
		req.URL.Path = "/webhooks/shop"
		req.RemoteAddr = remote + ":1000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	busy := func(name, remote, limit string) {
		t.Helper()
		rec := send(remote)
		if rec.Code != 503 || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), limit) {
			t.Errorf("%s: %d %s, Retry-After %q; want 503 naming %s, with Retry-After", name, rec.Code, rec.Body, rec.Header().Get("Retry-After"), limit)
		}
	}
	served := func(name, remote string) {
		t.Helper()
		if rec := send(remote); rec.Code != 202 {
			t.Errorf("%s: %d %s; want 202", name, rec.Code, rec.Body)
		}
	}
	for range 2 {
		if err := a.acquire("shop", other); err != nil {
			t.Fatal(err)
		}
	}
	busy("client at its share", other.String(), "max_in_flight_per_client")
	served("another client of the same provider", "203.0.113.1")
	if err := a.acquire("shop", netip.MustParseAddr("203.0.113.2")); err != nil {
		t.Fatal(err)
	}
	busy("provider at its share", "203.0.113.3", "max_in_flight_per_provider")
	if err := a.acquire("other", netip.MustParseAddr("203.0.113.4")); err != nil {
		t.Fatal(err)
	}
	if err := a.acquire("third", netip.MustParseAddr("203.0.113.5")); err == nil || !strings.Contains(err.Error(), "http.max_in_flight)") {
		t.Errorf("fifth slot of four: err = %v; want the total named", err)
	}
	a.release("shop", other)
	a.release("shop", other)
	if got := a.busy(); got != 2 {
		t.Errorf("busy() = %d after releasing two of four; want 2", got)
	}
	served("the client again, below its share", other.String())
	if len(a.client) != 2 || len(a.provider) != 2 {
		t.Errorf("admission keeps %d clients and %d providers; want only the 2 and 2 in flight", len(a.client), len(a.provider))
	}
}

// TestAdmissionIPv6Prefix: an IPv6 client's share of the work slots is
// its /64's, whichever of its addresses a request comes from (one /64 took
// 512 slots, the provider's share, with a share of 4 per address); an
// IPv4-mapped address is its IPv4 address; another /64 has its own share.
func TestAdmissionIPv6Prefix(t *testing.T) {
	a := newAdmission(1024, 512, 4)
	base := netip.MustParseAddr("2001:db8:1:2::").As16()
	got := 0
	var lastErr error
	for i := range 600 {
		b := base
		b[8], b[14], b[15] = byte(i), byte(i>>8), byte(i)
		if lastErr = a.acquire("shop", netip.AddrFrom16(b)); lastErr == nil {
			got++
		}
	}
	if got != 4 || lastErr == nil || !strings.Contains(lastErr.Error(), "client 2001:db8:1:2::/64 has 4 requests") {
		t.Errorf("one /64 took %d slots (last error %v); want 4, and the error naming the /64", got, lastErr)
	}
	if err := a.acquire("shop", netip.MustParseAddr("2001:db8:1:3::1")); err != nil {
		t.Errorf("another /64: %v", err)
	}
	a.release("shop", netip.MustParseAddr("2001:db8:1:2:ffff::1")) // any address of the /64 gives one back
	if err := a.acquire("shop", netip.MustParseAddr("2001:db8:1:2::abcd")); err != nil {
		t.Errorf("the /64 after one release: %v", err)
	}
	v4, mapped := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("::ffff:192.0.2.1")
	for i := range 4 {
		if err := a.acquire("shop", []netip.Addr{v4, mapped}[i%2]); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.acquire("shop", mapped); err == nil || !strings.Contains(err.Error(), "client 192.0.2.1 has") {
		t.Errorf("an IPv4 address and its mapped form share one share: err = %v", err)
	}
	if err := a.acquire("shop", netip.MustParseAddr("192.0.2.2")); err != nil {
		t.Errorf("the next IPv4 address: %v", err)
	}
}

// TestFailedVerificationSpendsNoRateLimit: requests that fail the signature
// check do not spend the provider's budget, so a stranger's flood (even
// from the provider's own address) never makes the real provider's
// correctly signed requests get 429.
func TestFailedVerificationSpendsNoRateLimit(t *testing.T) {
	h, d, _ := edgeHandler(t, "", "    rate_limit: {rps: 1, burst: 2}")
	send := func(id, secret string) int {
		req := stripeRequest(t, stripeBody(id, "t", "o", 1), secret, testNow)
		req.URL.Path = "/webhooks/shop"
		req.RemoteAddr = "198.51.100.9:1000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 50 {
		if code := send(fmt.Sprintf("forged-%d", i), "whsec_attacker"); code != 401 {
			t.Fatalf("forged request %d: %d; want 401", i, code)
		}
	}
	if a, b := send("real-1", "whsec_new"), send("real-2", "whsec_new"); a != 202 || b != 202 {
		t.Fatalf("signed requests after 50 forged ones: %d, %d; want 202 (the burst of 2 is untouched)", a, b)
	}
	if code := send("real-3", "whsec_new"); code != 429 {
		t.Errorf("third signed request: %d; want 429 (the budget is spent by signed requests)", code)
	}
	if len(d.events) != 2 {
		t.Errorf("%d events decided; want 2", len(d.events))
	}
}

// TestRateLimitSkipsUnsignedHandshakes: a handshake that anyone may send
// (Dropbox's GET challenge) is answered without spending the provider's
// rate limit, so a stranger cannot exhaust it: the signed event after a
// flood of them is still accepted.
func TestRateLimitSkipsUnsignedHandshakes(t *testing.T) {
	c := mustValid(t, `
listen: 127.0.0.1:0
providers:
  - name: dbx
    type: dropbox
    secrets: [dropbox-app-secret]
    rate_limit: {rps: 1, burst: 1}
`)
	providers, err := buildProviders(c, false)
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDecider{outcome: webhook.Accepted}
	h := testServer(t, c, d, nil).routes(providers)
	for i := range 5 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", fmt.Sprintf("/webhooks/dbx?challenge=c%d", i), nil))
		if rec.Code != 200 || rec.Body.String() != fmt.Sprintf("c%d", i) {
			t.Fatalf("challenge %d: %d %q; want 200 echoing it", i, rec.Code, rec.Body)
		}
	}
	body := `{"list_folder":{"accounts":["dbid:1"]}}`
	req := signedRequest(t, "dropbox", "dropbox-app-secret", "/webhooks/dbx", body, nil, testNow)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 202 {
		t.Errorf("a signed event after the challenges: %d %s; want 202 (the burst unspent)", rec.Code, rec.Body)
	}
}
