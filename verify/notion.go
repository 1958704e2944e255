package verify

import "crypto/sha256"

// Notion signs every event with the subscription's verification_token.
// That token reaches the endpoint once, in the subscription's unsigned
// verification request, which this preset refuses like any unsigned
// request: there is no handshake here, so the token has to be read from
// that request by other means before it is configured as the secret.
func init() {
	p := bodyMAC{
		name: "notion", header: "X-Notion-Signature", prefix: "sha256=", hash: sha256.New, enc: encHex,
		desc: "Notion: X-Notion-Signature sha256=<hex> HMAC-SHA256 over the body, the subscription's verification_token raw " +
			"(the unsigned verification request is not answered)",
		eventID: "id", eventType: []string{"type"},
	}.preset()
	p.CreatedAt = "timestamp" // RFC 3339
	register(p)
}
