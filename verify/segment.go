package verify

import "crypto/sha1"

func init() {
	p := bodyMAC{
		name: "segment", header: "X-Signature", hash: sha1.New, enc: encHex,
		desc: "Segment Webhooks destinations (classic and Actions): X-Signature <hex> HMAC-SHA1 over the body, shared secret raw",
		// The body is the Segment message (the Actions destination's
		// default mapping): messageId is its ID, the same on retries;
		// type and, for a track call, event name it.
		eventID: "messageId", eventType: []string{"type", "event"},
	}.preset()
	p.CreatedAt = "timestamp" // RFC 3339
	register(p)
}
