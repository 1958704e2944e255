package verify

import (
	"crypto/sha1"
	"crypto/sha256"
)

// GitHub signs the body only: no timestamp, so replays are caught by the
// delivery ID, which GitHub keeps on redelivery.
var (
	githubEventID   = "header:X-GitHub-Delivery"
	githubEventType = []string{"header:X-GitHub-Event", "action"}
)

func init() {
	register(bodyMAC{
		name: "github", header: "X-Hub-Signature-256", prefix: "sha256=", hash: sha256.New, enc: encHex,
		desc:    "GitHub: X-Hub-Signature-256 sha256=<hex> over the body",
		eventID: githubEventID, eventType: githubEventType,
	}.preset())
	register(bodyMAC{
		name: "github-sha1", header: "X-Hub-Signature", prefix: "sha1=", hash: sha1.New, enc: encHex,
		desc:    "GitHub legacy: X-Hub-Signature sha1=<hex> over the body (HMAC-SHA1)",
		eventID: githubEventID, eventType: githubEventType,
	}.preset())
}
