package verify

import "time"

func init() { register(buildkiteScheme.preset()) }

// buildkiteScheme is Stripe's construction in Buildkite's layout:
// "timestamp=<unix>,signature=<hex>", the hex HMAC-SHA256 of
// "{timestamp}.{body}" keyed with the webhook's token. Buildkite can send the
// token itself in X-Buildkite-Token instead; that plain-text mode is the
// token preset's (header X-Buildkite-Token), not this one.
var buildkiteScheme = kvScheme{
	name: "buildkite", header: "X-Buildkite-Signature",
	layout: kvPairs, sep: ',', tsKey: "timestamp", sigKey: "signature", unit: stampSeconds, join: '.',
	// Buildkite suggests a short window, "for example, 5 minutes".
	tolerance: 5 * time.Minute,
	desc:      "Buildkite: X-Buildkite-Signature timestamp=,signature=<hex> HMAC-SHA256 over {timestamp}.{body}, webhook token raw",
	// No delivery ID is sent: the body's SHA-256 identifies the event.
	eventType: []string{"event"},
}
