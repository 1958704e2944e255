package verify

import "time"

func init() {
	register(stampMAC{
		name:      "webflow",
		sigHeader: "X-Webflow-Signature", tsHeader: "X-Webflow-Timestamp", sep: ":", enc: encHex,
		unit: stampMillis, tolerance: 5 * time.Minute,
		desc: "Webflow: x-webflow-signature <hex> HMAC-SHA256 over {x-webflow-timestamp}:{body}, timestamp in ms, OAuth client secret raw; 5 min",
		// No event ID in the payload.
		eventType: []string{"triggerType"},
	}.preset())
}
