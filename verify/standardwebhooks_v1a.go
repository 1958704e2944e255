package verify

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:           "standard-webhooks-v1a",
		IDSourceSigned: true,
		Scheme:         "ed25519",
		Description: "Standard Webhooks v1a (asymmetric): webhook-id, webhook-timestamp, webhook-signature v1a,<b64 Ed25519> over {id}.{ts}.{body}; " +
			"public keys whpk_<b64>, Sign takes whsk_<b64 32-byte seed> (svix-* also accepted)",
		Headers:   []string{webhookHeaders.id, webhookHeaders.ts, webhookHeaders.sig, svixHeaders.id, svixHeaders.ts, svixHeaders.sig},
		Tolerance: 5 * time.Minute,
		EventID:   "header:" + webhookHeaders.id,
		EventType: []string{"type"},
		New:       newWith(newV1a),
		Sign:      signV1a,
	})
}

// v1aVerifier checks Standard Webhooks v1a: Ed25519 over
// "{id}.{timestamp}.{body}", base64, as "v1a,<signature>" entries of the
// space-separated webhook-signature list, with the webhook-* or svix-*
// header family.
type v1aVerifier struct {
	families [2]swHeaders // the preferred one first
	keys     []ed25519.PublicKey
	tol      time.Duration
}

var _ Verifier = (*v1aVerifier)(nil)

func newV1a(o Options) (*v1aVerifier, error) {
	keys, err := parseSecrets("standard-webhooks-v1a", o.Secrets, parseWhpk)
	if err != nil {
		return nil, err
	}
	return &v1aVerifier{families: [2]swHeaders{webhookHeaders, svixHeaders}, keys: keys, tol: o.Tolerance}, nil
}

// parseWhpk reads a v1a public key: whpk_ and the base64 of 32 bytes (the
// prefix is optional). A whsk_ private key is refused.
func parseWhpk(s string) (ed25519.PublicKey, error) {
	if strings.HasPrefix(s, "whsk_") {
		return nil, errors.New("is a whsk_ private key; configure the whpk_ public key")
	}
	b, err := decodeStdBase64(strings.TrimPrefix(s, "whpk_"))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("not whpk_ and the base64 of a 32-byte Ed25519 public key")
	}
	return ed25519.PublicKey(b), nil
}

// parseWhsk reads a v1a private key: whsk_ and the base64 of the 32-byte
// seed (the prefix is optional; a 64-byte seed-and-public-key is also
// accepted).
func parseWhsk(s string) (ed25519.PrivateKey, error) {
	if strings.HasPrefix(s, "whpk_") {
		return nil, errors.New("is a whpk_ public key; Sign needs the whsk_ private key")
	}
	b, err := decodeStdBase64(strings.TrimPrefix(s, "whsk_"))
	if err != nil {
		return nil, errors.New("not whsk_ and base64")
	}
	switch len(b) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		pk := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
		if string(pk[ed25519.SeedSize:]) == string(b[ed25519.SeedSize:]) {
			return pk, nil
		}
	}
	return nil, errors.New("not the base64 of a 32-byte Ed25519 seed")
}

// Verify implements Verifier. It reads the first header family whose
// signature header is present, and all three headers from that family. The
// signature is checked before the timestamp. Result.ID is that family's
// message ID, which the signature covers.
func (v *v1aVerifier) Verify(r *Request, now time.Time) (Result, error) {
	var d swDelivery
	if err := readSW(r, &v.families, "v1a", ed25519.SignatureSize, &d); err != nil {
		return Result{}, err
	}
	buf := getMsgBuf()
	defer putMsgBuf(buf)
	msg := append(append(append(append(*buf, d.id...), '.'), d.t...), '.')
	msg = append(msg, r.Body...)
	*buf = msg
	for i, k := range v.keys {
		for j := 0; j < d.sigs.n; j++ {
			if ed25519.Verify(k, msg, d.sigs.sigs[j][:]) {
				if err := checkWindow("header", d.f.ts, d.t, d.at, now, v.tol); err != nil {
					return Result{}, err
				}
				return Result{SecretIndex: i, ID: d.id}, nil
			}
		}
	}
	return Result{}, fmt.Errorf("header %s: no v1a signature matches any of %d keys: %w", d.f.sig, len(v.keys), ErrMismatch)
}

// signV1a sets the webhook-* headers, signing with the whsk_ key in
// o.Secrets[0] and keeping a webhook-id that r already carries.
func signV1a(r *Request, o Options, now time.Time) error {
	pk, err := parseWhsk(o.Secrets[0])
	if err != nil {
		return secretErr("standard-webhooks-v1a", 0, "%v", err)
	}
	id, t := stampSW(r, webhookHeaders, now)
	msg := append([]byte(id+"."+t+"."), r.Body...)
	r.Header.Set(webhookHeaders.sig, "v1a,"+base64.StdEncoding.EncodeToString(ed25519.Sign(pk, msg)))
	return nil
}
