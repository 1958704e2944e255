package verify

import "crypto/sha256"

func init() {
	register(bodyMAC{
		name: "hookdeck", header: "X-Hookdeck-Signature", hash: sha256.New, enc: encBase64,
		desc: "Hookdeck: X-Hookdeck-Signature <base64> HMAC-SHA256 over the body, project signing secret raw",
		// The body is the original provider's, forwarded unchanged, so
		// there is no event type of Hookdeck's own. X-Hookdeck-EventId is
		// the same on every attempt of an event. While a signing secret
		// rolls, Hookdeck also signs with the previous one in
		// X-Hookdeck-Signature-2, which is not read: configure both
		// secrets instead.
		eventID: "header:X-Hookdeck-EventId",
	}.preset())
}
