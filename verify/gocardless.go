package verify

import "crypto/sha256"

func init() {
	register(bodyMAC{
		name: "gocardless", header: "Webhook-Signature", hash: sha256.New, enc: encHex,
		desc: "GoCardless: Webhook-Signature <hex> HMAC-SHA256 over the body (a batch of events), endpoint secret raw",
		// One delivery carries several events, each with its own ID: the
		// body's SHA-256 identifies the delivery; the type is the first
		// event's.
		eventType: []string{"events.0.resource_type", "events.0.action"},
	}.preset())
}
