package verify

import "crypto/sha256"

func init() {
	register(bodyMAC{
		name: "alchemy", header: "X-Alchemy-Signature", hash: sha256.New, enc: encHex,
		desc:    "Alchemy Notify: X-Alchemy-Signature <hex> HMAC-SHA256 over the body, webhook signing key raw",
		eventID: "id", eventType: []string{"type"},
	}.preset())
}
