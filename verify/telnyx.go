package verify

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strconv"
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
		New:       newWith(newTelnyx),
		Sign:      signTelnyx,
	})
}

const (
	telnyxSigHeader = "Telnyx-Signature-Ed25519"
	telnyxTSHeader  = "Telnyx-Timestamp"
)

// telnyxVerifier checks Telnyx's scheme: an Ed25519 signature of
// "{timestamp}|{body}" with Telnyx's key pair; the configured secrets are
// the public keys from the portal.
type telnyxVerifier struct {
	keys []ed25519.PublicKey
	tol  time.Duration
}

var _ Verifier = (*telnyxVerifier)(nil)

func newTelnyx(o Options) (*telnyxVerifier, error) {
	keys, err := parseSecrets("telnyx", o.Secrets, func(s string) (ed25519.PublicKey, error) {
		k, err := decodeTelnyxKey(s, ed25519.PublicKeySize)
		if err != nil {
			return nil, fmt.Errorf("public key: %v", err)
		}
		return k, nil
	})
	if err != nil {
		return nil, err
	}
	return &telnyxVerifier{keys: keys, tol: o.Tolerance}, nil
}

// Verify implements Verifier. The signature is checked before the timestamp,
// so ErrTooOld and ErrTooNew mean a genuine but replayed or mistimed event.
func (v *telnyxVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s, t, at, err := readStamped(r, telnyxSigHeader, telnyxTSHeader, stampSeconds)
	if err != nil {
		return Result{}, err
	}
	var sig [ed25519.SignatureSize]byte
	if !decodeMAC(sig[:], s, encBase64) {
		return Result{}, fmt.Errorf("header %s: not a %d-byte base64 signature: %w", telnyxSigHeader, ed25519.SignatureSize, ErrMalformed)
	}
	buf := getMsgBuf()
	defer putMsgBuf(buf)
	msg := append(append(append(*buf, t...), '|'), r.Body...)
	*buf = msg
	match, ok := ed25519Verify(v.keys, msg, sig[:])
	if !ok {
		return Result{}, fmt.Errorf("header %s: signature verifies with none of %d public keys: %w", telnyxSigHeader, len(v.keys), ErrMismatch)
	}
	if err := checkWindow("header", telnyxTSHeader, t, at, now, v.tol); err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: match}, nil
}

// signTelnyx signs r as Telnyx does, with o.Secrets[0] as the base64
// private key: the 32-byte seed or the 64-byte seed and public key.
func signTelnyx(r *Request, o Options, now time.Time) error {
	k, err := decodeTelnyxKey(o.Secrets[0], 0)
	if err != nil {
		return secretErr("telnyx", 0, "private key: %v", err)
	}
	var priv ed25519.PrivateKey
	switch len(k) {
	case ed25519.SeedSize:
		priv = ed25519.NewKeyFromSeed(k)
	case ed25519.PrivateKeySize:
		priv = ed25519.PrivateKey(k)
	default:
		return secretErr("telnyx", 0, "private key: %d bytes, want %d or %d", len(k), ed25519.SeedSize, ed25519.PrivateKeySize)
	}
	t := strconv.FormatInt(now.Unix(), 10)
	msg := append(append([]byte(t), '|'), r.Body...)
	r.Header.Set(telnyxSigHeader, base64.StdEncoding.EncodeToString(ed25519.Sign(priv, msg)))
	r.Header.Set(telnyxTSHeader, t)
	return nil
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
