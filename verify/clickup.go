package verify

import "crypto/sha256"

func init() {
	register(bodyMAC{
		name: "clickup", header: "X-Signature", hash: sha256.New, enc: encHex,
		desc: "ClickUp: X-Signature <hex> HMAC-SHA256 over the body, webhook.secret (returned when the webhook is created) raw",
		// No event ID: webhook_id names the webhook and task_id the task,
		// shared by all their events, so the body's SHA-256 identifies
		// the event.
		eventType: []string{"event"},
	}.preset())
}
