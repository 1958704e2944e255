package verify

import "time"

func init() { register(personaScheme.preset()) }

// personaScheme is Persona's: "t=<unix>,v1=<hex>" carries HMAC-SHA256 over
// "{t}.{body}", and while a secret rotates two such sets, separated by a
// space, each signed with one of the secrets and checked with its own t.
var personaScheme = kvScheme{
	name: "persona", header: "Persona-Signature",
	layout: kvSets, sep: ',', tsKey: "t", sigKey: "v1", unit: stampSeconds, join: '.',
	// Persona documents no window; 5 minutes is the gateway's policy.
	tolerance: 5 * time.Minute,
	desc:      "Persona: Persona-Signature t=,v1=<hex> HMAC-SHA256 over {t}.{body}, webhook secret raw; two space-separated sets while rotating",
	eventID:   "data.id", eventType: []string{"data.attributes.name"},
}
