package gateway

import (
	"testing"
	"time"
)

// TestOrderingPreset: ordering.preset puts Stripe's natural version to
// work: per data.object.id, an event created before the last one
// forwarded is stale; another object is not held back.
func TestOrderingPreset(t *testing.T) {
	s := mustServer(t, "", providerYAML("shop", "stripe", "whsec_a", "ordering: {preset: true}"))
	for _, c := range []struct {
		id, obj string
		created int64
		want    int
	}{
		{"evt_2", "ord_1", 200, 202},
		{"evt_1", "ord_1", 100, 200}, // older: stale
		{"evt_3", "ord_2", 100, 202}, // another object
		{"evt_4", "ord_1", 300, 202},
	} {
		if got := postTo(t, s, stripeRequest(t, stripeBody(c.id, "order.updated", c.obj, c.created), "whsec_a", time.Now())); got != c.want {
			t.Errorf("%s (%s, created %d): %d; want %d", c.id, c.obj, c.created, got, c.want)
		}
	}
}
