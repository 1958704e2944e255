package verify

import "time"

func init() {
	register(kvScheme{
		name: "sanity", header: "Sanity-Webhook-Signature",
		layout: kvPairs, sep: ',', tsKey: "t", sigKey: "v1", unit: stampMillis, join: '.', enc: encBase64URL,
		// @sanity/webhook checks no age; the timestamp is signed, so the
		// usual five minutes apply.
		tolerance: 5 * time.Minute,
		desc:      "Sanity: sanity-webhook-signature t=<ms>,v1=<base64url> HMAC-SHA256 over {t}.{body}, webhook secret raw; 5 min",
		// GROQ-powered webhooks have no event names: the body is the
		// webhook's projection (by default the document), and the
		// operation (create, update, delete) is a header.
		// Idempotency-Key identifies the event.
		eventID: "header:Idempotency-Key", eventType: []string{"header:Sanity-Operation"},
	}.preset())
}
