package gateway

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
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

// TestOrderingPresetStrava: Strava's natural version keys on the object's
// type and ID together (a multipath source), so an athlete does not hold
// back an activity with the same object_id.
func TestOrderingPresetStrava(t *testing.T) {
	s := mustServer(t, "", "\n  - name: strava\n    type: strava\n    ordering: {preset: true}\n")
	post := func(typ string, id, at int64) int {
		body := fmt.Sprintf(`{"aspect_type":"update","event_time":%d,"object_id":%d,"object_type":%q,"owner_id":134815,"subscription_id":120475,"updates":{"title":"t%d"}}`, at, id, typ, at)
		req := httptest.NewRequest("POST", "/webhooks/strava", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return postTo(t, s, req)
	}
	for _, c := range []struct {
		typ     string
		id, at  int64
		want    int
		comment string
	}{
		{"activity", 1360128428, 1516126040, 200, "first (Strava gets 200 for every event)"},
		{"athlete", 1360128428, 1516126000, 200, "another object with the same ID"},
		{"activity", 1360128428, 1516126010, 200, "older: stale"},
	} {
		if got := post(c.typ, c.id, c.at); got != c.want {
			t.Errorf("%s: %d; want %d", c.comment, got, c.want)
		}
	}
	st := testkit.Stream(t, s.NATSURL(), forward.DefaultStreamName)
	testkit.WaitFor(t, 10*time.Second, func() string { return "the stream does not hold the two current events" }, func() bool {
		return testkit.SubjectCount(t, st, "webhooks.strava.>") == 2
	})
}
