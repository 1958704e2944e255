package verify

import "crypto/sha256"

func init() {
	register(bodyMAC{
		name: "razorpay", header: "X-Razorpay-Signature", hash: sha256.New, enc: encHex,
		desc: "Razorpay: X-Razorpay-Signature <hex> HMAC-SHA256 over the body, webhook secret raw (not the API key secret)",
		// Razorpay sends the same X-Razorpay-Event-Id on every retry of
		// an event.
		eventID: "header:X-Razorpay-Event-Id", eventType: []string{"event"},
	}.preset())
}
