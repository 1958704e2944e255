package verify

import "crypto/sha512"

func init() {
	register(bodyMAC{
		name: "paystack", header: "X-Paystack-Signature", hash: sha512.New, enc: encHex,
		desc: "Paystack: x-paystack-signature <hex> HMAC-SHA512 over the body, secret key (sk_...) raw",
		// No event ID: data.id is the transaction (or transfer, ...), which
		// several events share, so the body's SHA-256 identifies the event.
		eventType: []string{"event"},
	}.preset())
}
