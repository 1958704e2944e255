package verify

import "crypto/sha256"

func init() {
	register(bodyMAC{
		name: "checkoutcom", aliases: []string{"checkout.com"}, header: "Cko-Signature", hash: sha256.New, enc: encHex,
		desc:    "Checkout.com: Cko-Signature <hex> HMAC-SHA256 over the body, webhook secret key raw",
		eventID: "id", eventType: []string{"type"},
	}.preset())
}
