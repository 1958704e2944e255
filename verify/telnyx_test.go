package verify_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// Throwaway Ed25519 key pairs for the telnyx rows: base64 seed and public
// key, derived with Python's cryptography from SHA-256 of a fixed phrase.
const (
	telnyxSeed1 = "+gKdHuS9N7amg68BMZGUYxcJZRckR6pIKLDu54MZCsk="
	telnyxPub1  = "A7bxDkzxUV2uI0/QuPjiqxxJH96KjmOKR3qvOE7ZYSU="
	telnyxSeed2 = "vpLVhCoqjvUTaysHR5rNVBBR3RVCCbO8lAn3ESARpYo="
	telnyxPub2  = "3jeP8hW97TWfo594qD2qMDWBGih4YGJ2pyRTtcyf/1A="
)

// TestTelnyxKeyForms checks that Sign takes the 64-byte private key as well
// as the seed, and that a signature made with it verifies.
func TestTelnyxKeyForms(t *testing.T) {
	seed, _ := base64.StdEncoding.DecodeString(telnyxSeed1)
	pub, _ := base64.StdEncoding.DecodeString(telnyxPub1)
	full := base64.StdEncoding.EncodeToString(append(seed, pub...))
	for _, key := range []string{telnyxSeed1, full, strings.TrimRight(telnyxSeed1, "=")} {
		r := &verify.Request{Body: []byte(`{"data":{"id":"1"}}`)}
		if err := verify.Sign("telnyx", r, Options{Secrets: []string{key}}, now); err != nil {
			t.Fatalf("Sign(telnyx) = %v", err)
		}
		if _, err := mustVerifier(t, "telnyx", Options{Secrets: []string{telnyxPub1}}).Verify(r, now); err != nil {
			t.Errorf("Verify(telnyx, key %d bytes) = %v; want valid", len(key), err)
		}
	}
}

// TestTelnyxSignNeedsPrivateKey checks that Sign refuses a key of the size
// of none of the private key forms.
func TestTelnyxSignNeedsPrivateKey(t *testing.T) {
	// Telnyx signs with the private key: a public key is refused.
	r := &verify.Request{Body: []byte("{}")}
	if err := verify.Sign("telnyx", r, Options{Secrets: []string{base64.StdEncoding.EncodeToString(make([]byte, 48))}}, now); !errors.Is(err, verify.ErrConfig) {
		t.Errorf("Sign(telnyx, 48-byte key) = %v; want %v", err, verify.ErrConfig)
	}
}
