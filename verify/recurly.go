package verify

import "time"

func init() { register(recurlyScheme.preset()) }

// recurlyScheme is Recurly's: "<unix ms>,<hex>[,<hex>...]", one signature
// per active secret (two during a 24-hour rotation), each an HMAC-SHA256 of
// "{timestamp}.{body}".
var recurlyScheme = kvScheme{
	name: "recurly", header: "Recurly-Signature",
	layout: kvList, sep: ',', unit: stampMillis, join: '.',
	// The Recurly client libraries default to 5 minutes, both ways.
	tolerance: 5 * time.Minute,
	desc:      "Recurly (JSON webhooks): recurly-signature <ms>,<hex>[,<hex>] HMAC-SHA256 over {ms}.{body}, endpoint secret raw; 5 min",
	eventID:   "id", eventType: []string{"object_type", "event_type"},
}
