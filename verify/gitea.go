package verify

import "crypto/sha256"

func init() {
	register(bodyMAC{
		name: "gitea", header: "X-Gitea-Signature", hash: sha256.New, enc: encHex,
		desc:    "Gitea: X-Gitea-Signature <hex> HMAC-SHA256 over the body (no prefix), webhook secret raw",
		eventID: "header:X-Gitea-Delivery", eventType: []string{"header:X-Gitea-Event", "action"},
	}.preset())
	register(bodyMAC{
		name: "forgejo", header: "X-Forgejo-Signature", alt: "X-Gitea-Signature", hash: sha256.New, enc: encHex,
		desc:    "Forgejo: X-Forgejo-Signature (else X-Gitea-Signature) <hex> HMAC-SHA256 over the body, webhook secret raw",
		eventID: "header:X-Forgejo-Delivery", eventType: []string{"header:X-Forgejo-Event", "action"},
	}.preset())
}
