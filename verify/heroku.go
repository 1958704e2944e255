package verify

import "crypto/sha256"

func init() {
	p := bodyMAC{
		name: "heroku", header: "Heroku-Webhook-Hmac-SHA256", hash: sha256.New, enc: encBase64,
		desc: "Heroku app webhooks: Heroku-Webhook-Hmac-SHA256 <base64> HMAC-SHA256 over the body, the subscription's secret raw",
		// id is the event's (webhook_metadata.event.id), the same across
		// delivery attempts; resource and action make "release.create".
		eventID: "id", eventType: []string{"resource", "action"},
	}.preset()
	p.CreatedAt = "created_at" // RFC 3339
	register(p)
}
