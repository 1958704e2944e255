package verify

import "time"

func init() { register(muxScheme.preset()) }

// muxScheme is Stripe's scheme under Mux's header.
var muxScheme = kvScheme{
	name: "mux", header: "Mux-Signature",
	layout: kvPairs, sep: ',', tsKey: "t", sigKey: "v1", unit: stampSeconds, join: '.',
	// Mux leaves the window to the receiver; 5 minutes is the gateway's
	// policy (Stripe's, whose layout Mux uses).
	tolerance: 5 * time.Minute,
	desc:      "Mux: Mux-Signature t=,v1=<hex> HMAC-SHA256 over {t}.{body}, signing secret raw",
	eventID:   "id", eventType: []string{"type"},
}
