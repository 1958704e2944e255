package verify

import "crypto/sha256"

func init() {
	// Jira's admin webhooks (Cloud: the WebHooks admin page or the REST
	// API, secret field; Data Center: "Secret token") sign the body as
	// WebSub does: X-Hub-Signature: sha256=<hex HMAC-SHA256>, keyed with
	// the secret byte for byte. Webhooks registered by Connect or OAuth 2.0
	// apps are not signed so (atlassian-connect checks Connect's JWT).
	p := bodyMAC{
		name: "jira", header: "X-Hub-Signature", prefix: "sha256=", hash: sha256.New, enc: encHex,
		desc: "Jira admin webhooks (Cloud and Data Center) with a secret: X-Hub-Signature sha256=<hex> HMAC-SHA256 over the body, secret raw",
		// Jira Cloud's delivery ID, unchanged across retries, in a header
		// the signature does not cover (Data Center sends none: the body's
		// SHA-256 identifies the event).
		eventID: "header:X-Atlassian-Webhook-Identifier",
		// "jira:issue_updated", "comment_created", ...; the body's
		// timestamp is in milliseconds, which CreatedAt cannot read.
		eventType: []string{"webhookEvent"},
	}.preset()
	register(p)
}
