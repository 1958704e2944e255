package verify

import "time"

func init() {
	p := stripeScheme.preset()
	// The event object's created (unix seconds) and api_version (null on
	// some events: then absent).
	p.CreatedAt, p.APIVersion = "created", "api_version"
	// The object's ID is prefixed by its kind (cus_, in_), so one key
	// space holds them all; created orders the events of one object.
	p.Ordering = &OrderingInfo{Key: "data.object.id", Version: "created", Format: "unix"}
	register(p)
}

// stripeScheme is Stripe's: the header "t=<unix>,v1=<hex>[,v1=<hex>...]"
// carries HMAC-SHA256 over "{t}.{body}", keyed with the whole secret, whsec_
// prefix included.
var stripeScheme = kvScheme{
	name: "stripe", header: "Stripe-Signature",
	layout: kvPairs, sep: ',', tsKey: "t", sigKey: "v1", unit: stampSeconds, join: '.',
	tolerance: 5 * time.Minute,
	desc:      "Stripe: Stripe-Signature t=,v1= over {t}.{body}, whsec_ secret used verbatim",
	eventID:   "id", eventType: []string{"type"},
}
