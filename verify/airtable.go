package verify

import (
	"crypto/sha256"
	"fmt"
)

func init() {
	register(bodyMAC{
		name: "airtable", header: "X-Airtable-Content-MAC", prefix: "hmac-sha256=", hash: sha256.New, enc: encHex,
		desc: "Airtable: X-Airtable-Content-MAC hmac-sha256=<hex> over the body, key = base64-decoded macSecretBase64",
		key:  decodeAirtableSecret,
		// The notification is a ping ({base, webhook, timestamp}); the
		// changes are fetched from the payloads endpoint. No event ID.
	}.preset())
}

// decodeAirtableSecret turns the macSecretBase64 that creating the webhook
// returned into the HMAC key. Padding is optional.
func decodeAirtableSecret(s string) ([]byte, error) {
	k, err := decodeBase64Key(s)
	if err != nil {
		return nil, fmt.Errorf("%v (give macSecretBase64 as returned when the webhook was created)", err)
	}
	return k, nil
}
