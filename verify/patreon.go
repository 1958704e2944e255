package verify

import "crypto/md5"

func init() {
	register(bodyMAC{
		name: "patreon", header: "X-Patreon-Signature", hash: md5.New, enc: encHex,
		desc: "Patreon: X-Patreon-Signature <hex> HMAC-MD5 over the body, webhook secret raw",
		// No event ID: data.id is the member (or post), which several
		// events share, so the body's SHA-256 identifies the event.
		eventType: []string{"header:X-Patreon-Event"},
	}.preset())
}
