package verify

import "crypto/sha256"

func init() {
	register(bodyMAC{
		name: "gogs", header: "X-Gogs-Signature", hash: sha256.New, enc: encHex,
		desc: "Gogs: X-Gogs-Signature <hex> HMAC-SHA256 over the JSON body (no prefix), webhook secret raw; content type application/json",
		// X-Gogs-Delivery is a UUID per hook task; the payload of most
		// events has an action (issues, pull_request, ...).
		eventID: "header:X-Gogs-Delivery", eventType: []string{"header:X-Gogs-Event", "action"},
	}.preset())
}
