package verify

import "time"

func init() { register(workosScheme.preset()) }

// workosScheme is Stripe's scheme under WorkOS's header, with the timestamp
// in milliseconds.
var workosScheme = kvScheme{
	name: "workos", header: "WorkOS-Signature",
	layout: kvPairs, sep: ',', tsKey: "t", sigKey: "v1", unit: stampMillis, join: '.',
	// The WorkOS SDKs default to 180 seconds.
	tolerance: 3 * time.Minute,
	desc:      "WorkOS: WorkOS-Signature t=<ms>, v1=<hex> HMAC-SHA256 over {t}.{body}, webhook secret raw; 3 min",
	eventID:   "id", eventType: []string{"event"},
}
