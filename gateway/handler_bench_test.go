package gateway

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
	"github.com/hookgate/hookgate/webhook"
)

// BenchmarkHandler measures the HTTP handler alone (body cap, verify,
// identify, build the event, answer) with a fake decider, on a 1.5 KB
// Stripe event.
func BenchmarkHandler(b *testing.B) {
	h := mustHandler(b, nullDecider{})
	body := []byte(stripeBody("evt_bench", "invoice.paid", "in_1", 100))
	body = append(body[:len(body)-1], []byte(fmt.Sprintf(`,"pad":%q}`, strings.Repeat("x", 1500-len(body)-10)))...)
	vr := &verify.Request{Method: "POST", Header: http.Header{}, Body: body}
	if err := verify.Sign("stripe", vr, verify.Options{Secrets: []string{"whsec_new"}}, testNow); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req := httptest.NewRequest("POST", "/webhooks/shop", bytes.NewReader(body))
		req.Header = vr.Header
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 202 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// nullDecider accepts everything without keeping it.
type nullDecider struct{}

func (nullDecider) Decide(context.Context, *webhook.Event) (webhook.Outcome, error) {
	return webhook.Accepted, nil
}
