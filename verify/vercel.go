package verify

import "crypto/sha1"

func init() {
	register(bodyMAC{
		name: "vercel", header: "X-Vercel-Signature", hash: sha1.New, enc: encHex,
		desc:    "Vercel: x-vercel-signature <hex> HMAC-SHA1 over the body, webhook (or integration client) secret raw",
		eventID: "id", eventType: []string{"type"},
	}.preset())
}
