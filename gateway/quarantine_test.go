package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/store"
	"github.com/hookgate/hookgate/verify"
)

// keptRequest is a row of the quarantine table.
type keptRequest struct {
	Reason     string
	Error      string
	ReceivedAt time.Time
	Request    *verify.Request
}

// readQuarantine reads s's quarantine table, newest first: at most limit
// rows, of provider when set.
func readQuarantine(tb testing.TB, s *Server, provider string, limit int) []keptRequest {
	tb.Helper()
	rows, err := s.db.Read.Query(`SELECT reason, error, method, url, header, body, received_at FROM quarantine
		WHERE ? = '' OR provider = ? ORDER BY id DESC LIMIT ?`, provider, provider, limit)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []keptRequest
	for rows.Next() {
		var (
			r   = keptRequest{Request: &verify.Request{}}
			hdr []byte
			at  int64
		)
		if err := rows.Scan(&r.Reason, &r.Error, &r.Request.Method, &r.Request.URL, &hdr, &r.Request.Body, &at); err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(hdr, &r.Request.Header); err != nil {
			tb.Fatal(err)
		}
		r.ReceivedAt = time.Unix(0, at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestQuarantine keeps failed requests within the configured bounds, and a
// kept request verifies offline exactly as it did at the edge.
func TestQuarantine(t *testing.T) {
	s := mustServer(t, "quarantine: {enabled: true, max_count: 3}", providerYAML("shop", "stripe", "whsec_new"))
	for i := range 5 {
		req := stripeRequest(t, stripeBody(fmt.Sprintf("bad%d", i), "t", "o", 1), "whsec_wrong", time.Now())
		if code := postTo(t, s, req); code != 401 {
			t.Fatalf("bad signature: %d; want 401", code)
		}
	}
	if code := postTo(t, s, stripeRequest(t, stripeBody("good", "t", "o", 1), "whsec_new", time.Now())); code != 202 {
		t.Fatalf("good request: %d", code)
	}
	var rs []keptRequest
	testkit.WaitFor(t, 10*time.Second, func() string { return fmt.Sprintf("quarantine holds %d requests; want the 3 newest failures", len(rs)) }, func() bool {
		rs = readQuarantine(t, s, "shop", 10)
		return len(rs) == 3 && strings.Contains(string(rs[0].Request.Body), "bad4")
	})
	for i, want := range []string{"bad4", "bad3", "bad2"} {
		if !strings.Contains(string(rs[i].Request.Body), want) || rs[i].Reason != "signature_mismatch" {
			t.Errorf("quarantine[%d] = %s (%s); want %s, signature_mismatch", i, rs[i].Request.Body, rs[i].Reason, want)
		}
	}
	pc, _ := s.cfg.Provider("shop")
	v, err := pc.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(rs[0].Request, rs[0].ReceivedAt); !errors.Is(err, verify.ErrMismatch) {
		t.Errorf("offline check of the kept request = %v; want ErrMismatch", err)
	}
	var events int // the good request's claim may commit after its answer
	testkit.WaitFor(t, 10*time.Second, func() string { return fmt.Sprintf("processed_events = %d; want only the good request", events) }, func() bool {
		if err := s.db.Read.QueryRow(`SELECT count(*) FROM processed_events`).Scan(&events); err != nil {
			t.Fatal(err)
		}
		return events == 1
	})
}

func TestQuarantineByteBound(t *testing.T) {
	s := mustServer(t, "quarantine: {enabled: true, max_bytes: 250}", providerYAML("shop", "stripe", "whsec_new"))
	for i := range 6 {
		postTo(t, s, stripeRequest(t, stripeBody(fmt.Sprintf("bad%d", i), "t", "o", 1), "whsec_wrong", time.Now()))
	}
	body := len(stripeBody("bad0", "t", "o", 1))
	var rs []keptRequest
	testkit.WaitFor(t, 10*time.Second, func() string { return "the last failure never reached the quarantine" }, func() bool {
		rs = readQuarantine(t, s, "", 100)
		return len(rs) > 0 && strings.Contains(string(rs[0].Request.Body), "bad5")
	})
	total := 0
	for _, r := range rs {
		total += len(r.Request.Body)
	}
	if total > 250 || len(rs) != 250/body {
		t.Fatalf("quarantine holds %d requests, %d bytes; want %d within 250 bytes", len(rs), total, 250/body)
	}
}

// TestQuarantineByteBoundHoldsTheNewest: a body larger than
// quarantine.max_bytes is kept cut to it (the error says so), so the table
// stays within the bound; rows over it (kept under a larger max_bytes
// before a restart) go. The trim found no row within the bound behind the
// newest, and deleted nothing: the table grew past max_bytes.
func TestQuarantineByteBoundHoldsTheNewest(t *testing.T) {
	s := mustServer(t, "quarantine: {enabled: true, max_bytes: 100}", providerYAML("shop", "stripe", "whsec_new"))
	// A row from before a restart, under a larger max_bytes.
	if _, err := s.db.Write.Exec(`INSERT INTO quarantine (provider, reason, error, method, url, header, body, received_at)
		VALUES ('shop', 'signature_mismatch', 'x', 'POST', '/webhooks/shop', '{}', ?, 1)`, strings.Repeat("o", 500)); err != nil {
		t.Fatal(err)
	}
	body := `{"id":"big","pad":"` + strings.Repeat("x", 300) + `"}`
	if code := postTo(t, s, stripeRequest(t, body, "whsec_wrong", time.Now())); code != 401 {
		t.Fatalf("bad signature: %d; want 401", code)
	}
	var rs []keptRequest
	testkit.WaitFor(t, 10*time.Second, func() string { return fmt.Sprintf("quarantine holds %d requests; want the new one alone", len(rs)) }, func() bool {
		rs = readQuarantine(t, s, "", 10)
		return len(rs) == 1 && strings.HasPrefix(string(rs[0].Request.Body), `{"id":"big"`)
	})
	if n := len(rs[0].Request.Body); n != 100 || !strings.HasPrefix(body, string(rs[0].Request.Body)) {
		t.Errorf("kept body of %d bytes; want its first 100, max_bytes", n)
	}
	if want := fmt.Sprintf("body cut to its first 100 of %d bytes", len(body)); !strings.Contains(rs[0].Error, want) {
		t.Errorf("kept error %q; want it to say %q", rs[0].Error, want)
	}
}

// TestQuarantineKeepsNoCredentialsAndCutsBodies: a token provider's failed
// request is kept without its token (nor an Authorization header), and a
// large body is cut, saying so.
func TestQuarantineKeepsNoCredentialsAndCutsBodies(t *testing.T) {
	s := mustServer(t, "quarantine: {enabled: true}", providerYAML("tok", "token", "right-token", "options: {header: X-Webhook-Token}"))
	body := `{"id":"e1","pad":"` + strings.Repeat("x", 100<<10) + `"}`
	req, _ := http.NewRequest("POST", "/webhooks/tok", strings.NewReader(body))
	req.Header.Set("X-Webhook-Token", "almost-right-token")
	req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	req.Header.Set("X-Other", "kept")
	if code := postTo(t, s, req); code != 401 {
		t.Fatalf("wrong token: %d; want 401", code)
	}
	var rs []keptRequest
	testkit.WaitFor(t, 10*time.Second, func() string { return "the failed request never reached the quarantine" }, func() bool {
		rs = readQuarantine(t, s, "tok", 10)
		return len(rs) > 0
	})
	h := rs[0].Request.Header
	for _, name := range []string{"X-Webhook-Token", "Authorization"} {
		if got := h.Get(name); got != "[redacted]" {
			t.Errorf("kept %s = %q; want [redacted]", name, got)
		}
	}
	if got := h.Get("X-Other"); got != "kept" {
		t.Errorf("kept X-Other = %q; want the header as sent", got)
	}
	if n := len(rs[0].Request.Body); n != quarantineBody || !strings.HasPrefix(body, string(rs[0].Request.Body)) {
		t.Errorf("kept body of %d bytes; want the first %d", n, quarantineBody)
	}
	if want := fmt.Sprintf("body cut to its first %d of %d bytes", quarantineBody, len(body)); !strings.Contains(rs[0].Error, want) {
		t.Errorf("kept error %q; want it to say %q", rs[0].Error, want)
	}
}

// TestQuarantineAfterClose: a handler that outlives the HTTP server's
// shutdown may still keep a request; it is dropped and counted, not a
// panic on a closed queue.
func TestQuarantineAfterClose(t *testing.T) {
	db, err := OpenDB(context.Background(), t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var dropped atomic.Int64
	q := newQuarantine(db.Write, config.Quarantine{MaxCount: 10, MaxBytes: 1 << 20}, func() { dropped.Add(1) }, func(err error) { t.Error(err) })
	q.keep(quarantined{provider: "p", req: &verify.Request{Method: "POST", Body: []byte("before")}, at: time.Now()})
	q.close()
	q.keep(quarantined{provider: "p", req: &verify.Request{Method: "POST", Body: []byte("after")}, at: time.Now()})
	if dropped.Load() != 1 {
		t.Errorf("dropped %d; want the one kept after close", dropped.Load())
	}
	var n int
	if err := db.Read.QueryRow(`SELECT count(*) FROM quarantine`).Scan(&n); err != nil || n != 1 {
		t.Errorf("quarantine rows = %d, %v; want the one kept before close", n, err)
	}
}
