package verify

import (
	"crypto/sha1"
	"crypto/sha256"
)

// The providers below sign the raw body alone, in one header, with nothing
// timed: replays are caught by the event ID (or, where the provider sends
// none, by the SHA-256 of the body). Each is a bodyMAC (hmac.go) with the
// header, prefix, algorithm and encoding fixed.
func init() {
	shopify := bodyMAC{
		name: "shopify", header: "X-Shopify-Hmac-Sha256", alt: "Shopify-Hmac-Sha256", hash: sha256.New, enc: encBase64,
		desc:    "Shopify: X-Shopify-Hmac-Sha256 (Events: Shopify-Hmac-Sha256) base64 over the body, client secret raw",
		eventID: "header:X-Shopify-Event-Id", eventType: []string{"header:X-Shopify-Topic"},
	}.preset()
	// X-Shopify-Triggered-At is an RFC 3339 time.
	shopify.CreatedAt, shopify.APIVersion = "header:X-Shopify-Triggered-At", "header:X-Shopify-API-Version"
	register(shopify)
	register(bodyMAC{
		name: "intercom", header: "X-Hub-Signature", prefix: "sha1=", hash: sha1.New, enc: encHex,
		desc:    "Intercom: X-Hub-Signature sha1=<hex> HMAC-SHA1 over the body, client secret raw",
		eventID: "id", eventType: []string{"topic"},
	}.preset())
	register(bodyMAC{
		name: "typeform", header: "Typeform-Signature", prefix: "sha256=", hash: sha256.New, enc: encBase64,
		desc:    "Typeform: Typeform-Signature sha256=<base64> over the body",
		eventID: "event_id", eventType: []string{"event_type"},
	}.preset())
	register(bodyMAC{
		name: "sentry", header: "Sentry-Hook-Signature", hash: sha256.New, enc: encHex,
		desc:    "Sentry: Sentry-Hook-Signature <hex> over the body, client secret raw (Sentry-Hook-Timestamp is not signed)",
		eventID: "header:Request-ID", eventType: []string{"header:Sentry-Hook-Resource", "action"},
	}.preset())
	register(bodyMAC{
		name: "bitbucket", header: "X-Hub-Signature", prefix: "sha256=", hash: sha256.New, enc: encHex,
		desc:    "Bitbucket Cloud: X-Hub-Signature (no -256) sha256=<hex> over the body",
		eventID: "header:X-Request-UUID", eventType: []string{"header:X-Event-Key"},
	}.preset())
	register(bodyMAC{
		name: "coinbase-commerce", header: "X-CC-Webhook-Signature", hash: sha256.New, enc: encHex,
		desc:    "Coinbase Commerce: X-CC-Webhook-Signature <hex> over the body, shared secret raw",
		eventID: "event.id", eventType: []string{"event.type"},
	}.preset())
	register(bodyMAC{
		name: "lemonsqueezy", header: "X-Signature", hash: sha256.New, enc: encHex,
		desc: "Lemon Squeezy: X-Signature <hex> over the body, signing secret raw",
		// No event ID: data.id is the order or subscription, shared by
		// all its events, so the body's SHA-256 identifies the event.
		eventType: []string{"header:X-Event-Name"},
	}.preset())
}
