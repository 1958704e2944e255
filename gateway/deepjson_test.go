package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/jsondepth"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/webhook"
)

// TestIdentifyDeepJSON: a body nested deeper than encoding/json's 10,000
// levels is not JSON, as an invalid body is not: with ordering reading the
// body it is malformed (400 naming the depth), without it its fields are
// absent and its ID is its SHA-256. One level less is JSON.
func TestIdentifyDeepJSON(t *testing.T) {
	c := mustValid(t, `
listen: 127.0.0.1:0
providers:
  - name: shop
    type: stripe
    secrets: [whsec_new]
    max_body: 65536
    ordering: {key: data.object.id, version: created}
  - name: plain
    type: stripe
    secrets: [whsec_new]
    max_body: 65536
`)
	providers, err := buildProviders(c, false)
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDecider{outcome: webhook.Accepted}
	h := testServer(t, c, d, nil).routes(providers)
	for _, depth := range []int{jsondepth.Max, jsondepth.Max + 1} {
		n := depth - 1 // the body's own object is one level
		body := `{"id":"evt_1","type":"t","created":5,"data":{"object":{"id":"o"}},"deep":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
		sum := sha256.Sum256([]byte(body))
		for _, c := range []struct {
			provider string
			status   int
			id, err  string
		}{
			{"shop", 202, "evt_1", ""},
			{"plain", 202, "evt_1", ""},
		} {
			if depth > jsondepth.Max {
				c.id = "sha256:" + hex.EncodeToString(sum[:])
				if c.provider == "shop" {
					c.status, c.id, c.err = 400, "", "body nests JSON deeper than 10000 levels, and ordering reads it"
				}
			}
			req := httptest.NewRequest("POST", "/webhooks/"+c.provider, strings.NewReader(body))
			req.Header = testkit.Sign(t, "stripe", "whsec_new", body, nil, testNow)
			rec := httptest.NewRecorder()
			before := len(d.events)
			h.ServeHTTP(rec, req)
			var gotID string
			if len(d.events) > before {
				gotID = d.events[len(d.events)-1].ID
			}
			if rec.Code != c.status || gotID != c.id || !strings.Contains(rec.Body.String(), c.err) {
				t.Errorf("%s, %d levels: %d %s, event ID %q; want %d, ID %q, error %q", c.provider, depth, rec.Code, rec.Body, gotID, c.status, c.id, c.err)
			}
		}
	}
}

// TestDeepJSONBodyServed: 8 MiB of '[' (a stack overflow, which kills the
// process, while gjson validated such a body) posted to a real gateway on
// a provider without secrets whose identify reads JSON is answered
// promptly, as a body that is not JSON is: accepted under its SHA-256 (200:
// Strava takes only that), or
// 400 where ordering reads the body; the gateway serves on. It runs in a
// child process with a 64 MiB stack limit (1 MiB of '[' took 128 MiB), so
// that a regression fails this test rather than the test binary.
func TestDeepJSONBodyServed(t *testing.T) {
	testkit.InChild(t, 64<<20, func(t *testing.T) {
		s := mustServer(t, "", "\n  - name: strava\n    type: strava\n    max_body: 9000000\n"+
			"\n  - name: ordered\n    type: strava\n    max_body: 9000000\n    ordering: {preset: true}\n")
		client := &http.Client{Timeout: time.Minute}
		body := bytes.Repeat([]byte("["), 8<<20)
		for _, c := range []struct {
			path   string
			status int
		}{{"/webhooks/strava", 200}, {"/webhooks/ordered", 400}} { // Strava is answered 200
			start := time.Now()
			resp, err := client.Post("http://"+s.Addr().String()+c.path, "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", c.path, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			took := time.Since(start)
			t.Logf("%s: %d %s in %v", c.path, resp.StatusCode, b, took)
			// Generous: the scan takes milliseconds; gjson took over a
			// second per MiB, when it did not overflow.
			if resp.StatusCode != c.status || took > 20*time.Second {
				t.Errorf("%s: %d %s in %v; want %d", c.path, resp.StatusCode, b, took, c.status)
			}
		}
		ok := fmt.Sprintf(`{"object_type":"activity","object_id":1,"aspect_type":"create","event_time":%d}`, time.Now().Unix())
		resp, err := client.Post("http://"+s.Addr().String()+"/webhooks/strava", "application/json", strings.NewReader(ok))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("a well-formed event afterwards: %d; want 200", resp.StatusCode)
		}
	})
}
