package verify

import "time"

func init() { register(calendlyScheme.preset()) }

// calendlyScheme is Stripe's scheme under Calendly's header:
// "t=<unix>,v1=<hex>" carries HMAC-SHA256 over "{t}.{body}", keyed with the
// signing key byte for byte.
var calendlyScheme = kvScheme{
	name: "calendly", header: "Calendly-Webhook-Signature",
	layout: kvPairs, sep: ',', tsKey: "t", sigKey: "v1", unit: stampSeconds, join: '.',
	// The window of Calendly's sample code as third parties summarise it
	// (see the source of the calendly vectors in testdata/vectors.json);
	// Calendly states no number.
	tolerance: 3 * time.Minute,
	desc:      "Calendly: Calendly-Webhook-Signature t=,v1= over {t}.{body}, signing key raw",
	// No event ID in the body or headers: the body's SHA-256 identifies
	// the event.
	eventType: []string{"event"},
}
