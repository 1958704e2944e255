package verify

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"
)

func init() {
	register(Preset{
		Name:    "sendgrid-ecdsa",
		Aliases: []string{"sendgrid"},
		Scheme:  "ecdsa-p256",
		Description: "SendGrid Event Webhook: X-Twilio-Email-Event-Webhook-Signature base64 DER ECDSA P-256/SHA-256 over {timestamp}{body}; " +
			"public key base64 SPKI or PEM; Sign takes a PKCS#8/SEC 1 private key, PEM or base64 DER",
		Headers: []string{sendgridSigHeader, sendgridTSHeader},
		// SendGrid documents no window; 5 minutes as gateway policy.
		Tolerance: 5 * time.Minute,
		// A body is a batch of events, each with its own sg_event_id and
		// event; the batch is identified by its SHA-256 (no EventID), so a
		// regrouped retry is never mistaken for a duplicate.
		New:  newWith(newSendGrid),
		Sign: signSendGrid,
	})
}

const (
	sendgridSigHeader = "X-Twilio-Email-Event-Webhook-Signature"
	sendgridTSHeader  = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// sendgridVerifier checks SendGrid's signed Event Webhook: an ASN.1 DER
// ECDSA P-256 signature of SHA-256(timestamp + body).
type sendgridVerifier struct {
	keys []*ecdsa.PublicKey
	tol  time.Duration
}

var _ Verifier = (*sendgridVerifier)(nil)

func newSendGrid(o Options) (*sendgridVerifier, error) {
	keys, err := parseSecrets("sendgrid-ecdsa", o.Secrets, func(s string) (*ecdsa.PublicKey, error) {
		k, err := parseVerifyKey(s)
		if err == nil && !keyFitsAlg(k.key, "ES256") {
			err = fmt.Errorf("key is a %T, not ECDSA P-256", k.key)
		}
		if err != nil {
			return nil, err
		}
		return k.key.(*ecdsa.PublicKey), nil
	})
	if err != nil {
		return nil, err
	}
	return &sendgridVerifier{keys: keys, tol: o.Tolerance}, nil
}

// sendgridMaxSig bounds the base64 signature: a P-256 DER signature is at
// most 72 bytes.
const sendgridMaxSig = 128

// Verify implements Verifier. The signature is checked before the
// timestamp.
func (v *sendgridVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s, t, at, err := readStamped(r, sendgridSigHeader, sendgridTSHeader, stampSeconds)
	if err != nil {
		return Result{}, err
	}
	var buf [sendgridMaxSig]byte
	sig, err := decodeSendGridSig(buf[:0], s)
	if err != nil {
		return Result{}, fmt.Errorf("header %s: %v: %w", sendgridSigHeader, err, ErrMalformed)
	}
	h := sha256.New()
	h.Write([]byte(t))
	h.Write(r.Body)
	var sum [sha256.Size]byte
	digest := h.Sum(sum[:0])
	for i, k := range v.keys {
		if ecdsa.VerifyASN1(k, digest, sig) {
			if err := checkWindow("header", sendgridTSHeader, t, at, now, v.tol); err != nil {
				return Result{}, err
			}
			return Result{SecretIndex: i}, nil
		}
	}
	return Result{}, fmt.Errorf("header %s: signature matches none of %d keys: %w", sendgridSigHeader, len(v.keys), ErrMismatch)
}

// decodeSendGridSig decodes the base64 signature (padding optional) into
// dst's spare capacity.
func decodeSendGridSig(dst []byte, s string) ([]byte, error) {
	var src [sendgridMaxSig * 4 / 3]byte
	if len(s) > len(src) {
		return nil, errors.New("signature too long")
	}
	n := copy(src[:], s)
	for n > 0 && src[n-1] == '=' {
		n--
	}
	if base64.RawStdEncoding.DecodedLen(n) > cap(dst) {
		return nil, errors.New("signature too long")
	}
	m, err := base64.RawStdEncoding.Decode(dst[:cap(dst)], src[:n])
	if err != nil || m == 0 {
		return nil, errors.New("signature is not base64")
	}
	return dst[:m], nil
}

// signSendGrid sets SendGrid's headers, signing with the ECDSA P-256
// private key in o.Secrets[0].
func signSendGrid(r *Request, o Options, now time.Time) error {
	k, err := parseP256SignKey(o.Secrets[0])
	if err != nil {
		return secretErr("sendgrid-ecdsa", 0, "%v", err)
	}
	t := strconv.FormatInt(now.Unix(), 10)
	digest := sha256.Sum256(append([]byte(t), r.Body...))
	sig, err := ecdsa.SignASN1(rand.Reader, k, digest[:])
	if err != nil {
		return fmt.Errorf("sendgrid-ecdsa: %v: %w", err, ErrConfig)
	}
	r.Header.Set(sendgridTSHeader, t)
	r.Header.Set(sendgridSigHeader, base64.StdEncoding.EncodeToString(sig))
	return nil
}
