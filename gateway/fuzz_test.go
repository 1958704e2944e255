package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/webhook"
)

// FuzzHandler sends garbage through the whole request path of a few
// providers: it must never panic or answer 5xx, and never decide anything
// that is not signed.
func FuzzHandler(f *testing.F) {
	f.Add("/webhooks/shop", "Stripe-Signature", "t=1700000000,v1=00", `{"id":"e","type":"t","created":1,"data":{"object":{"id":"o"}}}`)
	f.Add("/webhooks/gh", "X-Hub-Signature-256", "sha256=zz", `{"action":"opened"}`)
	f.Add("/webhooks/gh", "X-GitHub-Event", "push", "not json")
	f.Add("/webhooks/shop", "Stripe-Signature", strings.Repeat("v1=,", 100), "")
	f.Add("/nope", "", "", "")
	f.Fuzz(func(t *testing.T, path, header, value, body string) {
		u, err := url.Parse("http://gw" + path)
		if err != nil || !strings.HasPrefix(path, "/") {
			return // not a path a client could send
		}
		d := &fakeDecider{outcome: webhook.Accepted}
		h := mustHandler(t, d)
		req := &http.Request{Method: "POST", URL: u, Host: "gw", Header: http.Header{}, RemoteAddr: "192.0.2.1:1234",
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
		if header != "" && !strings.ContainsAny(header, ":\r\n ") && !strings.ContainsAny(value, "\r\n") {
			req.Header.Set(header, value)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s with %s: %q: status %d: %s", path, header, value, rec.Code, rec.Body)
		}
		if len(d.events) > 0 {
			t.Fatalf("an unsigned request was decided: %+v", d.events[0])
		}
	})
}
