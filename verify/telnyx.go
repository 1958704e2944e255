package verify

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:   "telnyx",
		Scheme: "ed25519",
		Description: "Telnyx: telnyx-signature-ed25519 <base64> Ed25519 over {telnyx-timestamp}|{body}; " +
			"secret = base64 public key (Sign: base64 private key or seed)",
		Headers: []string{telnyxSigHeader, telnyxTSHeader},
		// The Telnyx SDKs leave the window optional; 5 minutes is the
		// gateway's policy.
		Tolerance: 5 * time.Minute,
		EventID:   "data.id",
		EventType: []string{"data.event_type"},
		New:       newWith(telnyxScheme.verifier),
		Sign:      telnyxScheme.sign,
	})
}

const (
	telnyxSigHeader = "Telnyx-Signature-Ed25519"
	telnyxTSHeader  = "Telnyx-Timestamp"
)

// telnyxScheme is Telnyx's: an Ed25519 signature of "{timestamp}|{body}"
// with Telnyx's key pair, in base64; the configured secrets are the public
// keys from the portal.
var telnyxScheme = &ed25519Scheme{
	name: "telnyx", header: telnyxSigHeader, tsHeader: telnyxTSHeader, enc: encBase64,
	tmpl:   []ed25519Part{{kind: 't'}, {lit: "|"}, {kind: 'b'}},
	public: parseTelnyxPublic, private: parseTelnyxPrivate,
}

// parseTelnyxPublic reads a public key: the base64 of 32 bytes.
func parseTelnyxPublic(s string) (ed25519.PublicKey, error) {
	k, err := decodeTelnyxKey(s, ed25519.PublicKeySize)
	if err != nil {
		return nil, fmt.Errorf("public key: %v", err)
	}
	return k, nil
}

// parseTelnyxPrivate reads the key Sign takes: the base64 of the 32-byte
// seed or of the 64-byte seed and public key.
func parseTelnyxPrivate(s string) (ed25519.PrivateKey, error) {
	k, err := decodeTelnyxKey(s, 0)
	if err != nil {
		return nil, fmt.Errorf("private key: %v", err)
	}
	switch len(k) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(k), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(k), nil
	}
	return nil, fmt.Errorf("private key: %d bytes, want %d or %d", len(k), ed25519.SeedSize, ed25519.PrivateKeySize)
}

// decodeTelnyxKey decodes a base64 key (standard alphabet, padding
// optional) of size bytes, or of any size when size is 0.
func decodeTelnyxKey(s string, size int) ([]byte, error) {
	k, err := decodeBase64Key(strings.TrimSpace(s))
	switch {
	case err != nil:
		return nil, err
	case size != 0 && len(k) != size:
		return nil, fmt.Errorf("%d bytes, want %d", len(k), size)
	}
	return k, nil
}
