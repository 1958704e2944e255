package verify

import "crypto/sha256"

func init() {
	register(bodyMAC{
		name: "intuit", aliases: []string{"quickbooks"}, header: "Intuit-Signature", hash: sha256.New, enc: encBase64,
		desc: "Intuit QuickBooks: intuit-signature <base64> HMAC-SHA256 over the body, verifier token raw",
		// Notifications batch several entities and the payload format
		// has changed over time: the body's SHA-256 identifies a
		// delivery.
	}.preset())
}
