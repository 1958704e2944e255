package verify

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
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
	k, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	switch {
	case err != nil:
		return nil, errors.New("not base64 (give macSecretBase64 as returned when the webhook was created)")
	case len(k) == 0:
		return nil, errors.New("empty key")
	}
	return k, nil
}
