package verify

import "time"

func init() {
	register(stampMAC{
		name: "customerio", aliases: []string{"customer.io"},
		sigHeader: "X-CIO-Signature", tsHeader: "X-CIO-Timestamp", before: "v0:", sep: ":", enc: encHex,
		// Customer.io documents no window; 5 minutes is the gateway's
		// policy, as for the other v0:{ts}:{body} schemes.
		unit: stampSeconds, tolerance: 5 * time.Minute,
		desc:    "Customer.io reporting webhooks: X-CIO-Signature <hex> HMAC-SHA256 over v0:{X-CIO-Timestamp}:{body}, signing key raw",
		eventID: "event_id", eventType: []string{"object_type", "metric"},
	}.preset())
}
