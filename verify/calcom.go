package verify

import "crypto/sha256"

func init() {
	register(bodyMAC{
		name: "calcom", aliases: []string{"cal.com"}, header: "X-Cal-Signature-256", hash: sha256.New, enc: encHex,
		desc: "Cal.com: X-Cal-Signature-256 <hex> HMAC-SHA256 over the body, webhook secret raw",
		// payload.uid names the booking, shared by its created,
		// rescheduled and cancelled events: no event ID.
		eventType: []string{"triggerEvent"},
	}.preset())
}
