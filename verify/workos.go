package verify

import "time"

func init() {
	register(tv1MAC{
		name: "workos", header: "WorkOS-Signature", unit: stampMillis,
		// The WorkOS SDKs default to 180 seconds.
		tolerance: 3 * time.Minute,
		desc:      "WorkOS: WorkOS-Signature t=<ms>, v1=<hex> HMAC-SHA256 over {t}.{body}, webhook secret raw; 3 min",
		eventID:   "id", eventType: []string{"event"},
	}.preset())
}
