package verify

import "crypto/sha256"

func init() {
	register(bodyMAC{
		name: "onfido", header: "X-SHA2-Signature", hash: sha256.New, enc: encHex,
		desc: "Onfido (Entrust): X-SHA2-Signature <hex> HMAC-SHA256 over the body, webhook token raw",
		// No event ID: payload.object.id is the check or report, which
		// several events share, so the body's SHA-256 identifies the event.
		eventType: []string{"payload.action"},
	}.preset())
}
