package verify

import "time"

func init() {
	register(stampMAC{
		name: "frameio", aliases: []string{"frame.io"},
		sigHeader: "X-Frameio-Signature", tsHeader: "X-Frameio-Request-Timestamp", sigPrefix: "v0=", before: "v0:", sep: ":", enc: encHex,
		unit: stampSeconds, tolerance: 5 * time.Minute,
		desc: "Frame.io: X-Frameio-Signature v0=<hex> HMAC-SHA256 over v0:{X-Frameio-Request-Timestamp}:{body}, signing secret raw; 5 min",
		// Payloads name the resource, not the event: no event ID.
		eventType: []string{"type"},
	}.preset())
}
