package verify

import (
	"net/http"
	"slices"
	"testing"
)

// TestIDSigned: the catalogue says which presets' event IDs a captured
// request could be sent again under (an unsigned delivery header, or a
// body the signature does not cover).
func TestIDSigned(t *testing.T) {
	for name, want := range map[string]bool{
		"stripe":               true,  // id in the signed body
		"airtable":             true,  // the body's SHA-256
		"standard-webhooks":    true,  // webhook-id is signed
		"svix":                 true,  // svix-id is signed
		"gitlab-signing-token": true,  // Idempotency-Key must equal the signed webhook-id
		"twitch-eventsub":      true,  // the message ID is signed
		"mailgun":              true,  // the token is signed, the event data not
		"github":               false, // X-GitHub-Delivery is not signed
		"shopify":              false, // X-Shopify-Event-Id is not signed
		"basic-auth":           false, // nothing is signed
		"okta":                 false, // a shared token; eventId in an unsigned body
		"google-oidc-jwt":      false, // the JWT does not cover the body
	} {
		p, ok := Lookup(name)
		if !ok {
			t.Fatalf("no preset %s", name)
		}
		if got := p.IDSigned(); got != want {
			t.Errorf("%s: IDSigned() = %v; want %v", name, got, want)
		}
		if p.Info().IDSigned != want {
			t.Errorf("%s: Info().IDSigned = %v; want %v", name, p.Info().IDSigned, want)
		}
	}
}

// TestHandshakesDescribed: a preset that answers requests other than a
// POST says what it answers.
func TestHandshakesDescribed(t *testing.T) {
	for _, p := range Presets() {
		other := slices.ContainsFunc(p.Methods, func(m string) bool { return m != http.MethodPost })
		if other && p.Handshake == "" {
			t.Errorf("%s answers %v but describes no handshake", p.Name, p.Methods)
		}
	}
}
