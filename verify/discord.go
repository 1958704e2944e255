package verify

import (
	"encoding/json"
	"net/http"
	"time"
)

func init() {
	register(Preset{
		Name:      "discord-ed25519",
		Handshake: "PING (interaction type 1, or webhook event type 0), signed like events: answered {\"type\":1}, or 204 for a webhook event PING",
		Aliases:   []string{"discord"},
		Scheme:    "ed25519",
		Description: "Discord interactions and webhook events: X-Signature-Ed25519 hex Ed25519 over {X-Signature-Timestamp}{body}; " +
			"public key hex; answers PINGs; Sign takes the hex 32-byte seed or 64-byte private key",
		Headers: []string{discordSigHeader, discordTSHeader},
		// Discord documents no window; it delivers at once (an interaction
		// must be answered within 3 s), so 5 minutes only absorbs skew.
		Tolerance: 5 * time.Minute,
		EventID:   "id",
		EventType: []string{"type", "event.type"},
		New:       newWith(discordScheme.verifier),
		Sign:      discordScheme.sign,
	})
}

const (
	discordSigHeader = "X-Signature-Ed25519"
	discordTSHeader  = "X-Signature-Timestamp"
)

// discordScheme is Discord's: Ed25519 over timestamp and body with the
// application's public key, both in hex. A verified PING is a handshake:
// an interactions PING (type 1, no event) is answered {"type":1}, a webhook
// events PING (type 0) with 204 No Content. Discord sends invalid
// signatures on purpose to test an endpoint; they get ErrMismatch.
var discordScheme = &ed25519Scheme{
	name: "discord-ed25519", header: discordSigHeader, tsHeader: discordTSHeader, enc: encHex, tmpl: timestampBody,
	public: parseEd25519Public, private: parseEd25519Private, handshake: discordHandshake,
}

// discordHandshake returns the answer to a PING, or nil for anything else.
// Interactions and webhook events share the endpoint scheme but not the
// numbering: interaction type 1 is PING, while webhook event type 1 is a
// real event, recognised by its "event" member, and type 0 is its PING.
func discordHandshake(body []byte) *Response {
	var b struct {
		Type  json.RawMessage `json:"type"`
		Event json.RawMessage `json:"event"`
	}
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	switch string(b.Type) {
	case "1":
		if len(b.Event) == 0 {
			return &Response{ContentType: "application/json", Body: []byte(`{"type":1}`)}
		}
	case "0":
		return &Response{Status: http.StatusNoContent}
	}
	return nil
}
