package verify

import "time"

func init() {
	p := paddleScheme.preset()
	p.CreatedAt = "occurred_at" // Paddle Billing's notification: RFC 3339
	// Entity IDs are prefixed by kind (sub_, txn_, ctm_).
	p.Ordering = &OrderingInfo{Key: "data.id", Version: "occurred_at", Format: "rfc3339"}
	register(p)
}

// paddleScheme is Paddle Billing's: "ts=<unix>;h1=<hex>[;h1=<hex>...]"
// carries HMAC-SHA256 over "{ts}:{body}", keyed with the whole secret,
// pdl_ntfset_ prefix included. Every h1 is tried (Paddle sends one per
// active secret while rotating; its Node SDK keeps only the last), and the
// timestamp is checked in both directions, as Paddle's Go SDK does.
var paddleScheme = kvScheme{
	name: "paddle", header: "Paddle-Signature",
	layout: kvSpacedPairs, sep: ';', tsKey: "ts", sigKey: "h1", unit: stampSeconds, join: ':',
	// Paddle's docs and SDKs default to five seconds and tell manual
	// implementations to do the same. It is tight: raise it when the
	// receiver's clock or a queue in front of it lags.
	tolerance: 5 * time.Second,
	desc:      "Paddle Billing: Paddle-Signature ts=;h1= over {ts}:{body}, pdl_ntfset_ secret used verbatim",
	eventID:   "event_id", eventType: []string{"event_type"},
}
