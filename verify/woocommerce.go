package verify

import "crypto/sha256"

func init() {
	register(bodyMAC{
		name: "woocommerce", header: "X-WC-Webhook-Signature", hash: sha256.New, enc: encBase64,
		desc: "WooCommerce: X-WC-Webhook-Signature <base64> HMAC-SHA256 over the body, webhook secret raw",
		// No event ID: X-WC-Webhook-Delivery-ID is a hash of the webhook ID
		// and the current second, so two deliveries of one webhook in the
		// same second share it, and the body's id is the order, product
		// or customer. The body's SHA-256 identifies the event. The
		// unsigned ping WooCommerce posts when a webhook is saved
		// (webhook_id=N) is refused like any unsigned request.
		eventType: []string{"header:X-WC-Webhook-Topic"},
	}.preset())
}
