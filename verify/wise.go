package verify

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:    "wise",
		Aliases: []string{"transferwise"},
		Scheme:  "rsa-sha256",
		Description: "Wise (TransferWise): X-Signature-SHA256 <base64> RSA PKCS#1 v1.5 SHA-256 signature of the body; " +
			"secret = Wise's public key (PEM), or wise:production / wise:sandbox for the keys Wise publishes; Sign takes an RSA private key",
		Headers: []string{wiseHeader},
		// Each notification has a delivery UUID, in a header the signature
		// does not cover (dedupe.body_hash also claims the body's hash).
		EventID:   "header:X-Delivery-Id",
		EventType: []string{"event_type"},
		// sent_at is common to every event; data.occurred_at, when an event
		// type has it, is when the change happened.
		CreatedAt: "sent_at",
		New:       newWith(newWise),
		Sign:      signWise,
	})
}

const wiseHeader = "X-Signature-SHA256"

// wiseKeys are the public keys Wise publishes for its webhooks, by the
// name a secret gives them: https://docs.wise.com/guides/developer/webhooks/event-handling
// (the sandbox key also in https://github.com/transferwise/digital-signatures-examples,
// verify-webhook-signature).
var wiseKeys = map[string]string{
	"wise:production": `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvO8vXV+JksBzZAY6GhSO
XdoTCfhXaaiZ+qAbtaDBiu2AGkGVpmEygFmWP4Li9m5+Ni85BhVvZOodM9epgW3F
bA5Q1SexvAF1PPjX4JpMstak/QhAgl1qMSqEevL8cmUeTgcMuVWCJmlge9h7B1CS
D4rtlimGZozG39rUBDg6Qt2K+P4wBfLblL0k4C4YUdLnpGYEDIth+i8XsRpFlogx
CAFyH9+knYsDbR43UJ9shtc42Ybd40Afihj8KnYKXzchyQ42aC8aZ/h5hyZ28yVy
Oj3Vos0VdBIs/gAyJ/4yyQFCXYte64I7ssrlbGRaco4nKF3HmaNhxwyKyJafz19e
HwIDAQAB
-----END PUBLIC KEY-----`,
	"wise:sandbox": `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwpb91cEYuyJNQepZAVfP
ZIlPZfNUefH+n6w9SW3fykqKu938cR7WadQv87oF2VuT+fDt7kqeRziTmPSUhqPU
ys/V2Q1rlfJuXbE+Gga37t7zwd0egQ+KyOEHQOpcTwKmtZ81ieGHynAQzsn1We3j
wt760MsCPJ7GMT141ByQM+yW1Bx+4SG3IGjXWyqOWrcXsxAvIXkpUD/jK/L958Cg
nZEgz0BSEh0QxYLITnW1lLokSx/dTianWPFEhMC9BgijempgNXHNfcVirg1lPSyg
z7KqoKUN0oHqWLr2U1A+7kqrl6O2nx3CKs1bj1hToT1+p4kcMoHXA7kA+VBLUpEs
VwIDAQAB
-----END PUBLIC KEY-----`,
}

// wiseVerifier checks Wise's scheme: an RSA signature (PKCS#1 v1.5,
// SHA-256) of the raw body by Wise's private key, base64 in
// X-Signature-SHA256, checked with each configured public key in turn.
// Nothing is timed. Test notifications (X-Test-Notification: true) are
// signed the same way and are recorded like any event. It is safe for
// concurrent use.
type wiseVerifier struct {
	keys []*rsa.PublicKey
}

var _ Verifier = (*wiseVerifier)(nil)

// parseWiseKey reads a configured secret: the name of a key Wise publishes
// or an RSA public key (PEM, JWK or base64 DER, as parseVerifyKey reads
// them). Its errors do not quote the secret.
func parseWiseKey(s string) (*rsa.PublicKey, error) {
	if pem, ok := wiseKeys[strings.TrimSpace(s)]; ok {
		s = pem
	} else if strings.HasPrefix(strings.TrimSpace(s), "wise:") {
		return nil, errors.New("names no key Wise publishes (wise:production or wise:sandbox)")
	}
	k, err := parseVerifyKey(s)
	if err != nil {
		return nil, err
	}
	pub, ok := k.key.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("is a %T, not an RSA public key", k.key)
	}
	return pub, nil
}

func newWise(o Options) (*wiseVerifier, error) {
	keys, err := parseSecrets("wise", o.Secrets, parseWiseKey)
	if err != nil {
		return nil, err
	}
	return &wiseVerifier{keys: keys}, nil
}

// Verify implements Verifier. The signature is decoded from standard
// base64 (padding optional) and must be as long as the key's modulus.
func (v *wiseVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	s, err := requireHeader(r, wiseHeader)
	if err != nil {
		return Result{}, err
	}
	sig, err := decodeBase64Key(strings.TrimSpace(s))
	if err != nil || len(sig) == 0 {
		return Result{}, fmt.Errorf("header %s: not base64: %w", wiseHeader, ErrMalformed)
	}
	sum := sha256.Sum256(r.Body)
	for i, k := range v.keys {
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig) == nil {
			return Result{SecretIndex: i}, nil
		}
	}
	return Result{}, fmt.Errorf("header %s: signature matches none of %d keys: %w", wiseHeader, len(v.keys), ErrMismatch)
}

// signWise is the wise preset's Sign: o.Secrets[0] is an RSA private key
// (PEM or base64 DER).
func signWise(r *Request, o Options, _ time.Time) error {
	k, err := parseSignKey(o.Secrets[0])
	if err != nil {
		return secretErr("wise", 0, "Sign takes an RSA private key: %v", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return secretErr("wise", 0, "Sign takes an RSA private key, not a %T", k)
	}
	sum := sha256.Sum256(r.Body)
	sig, err := rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, sum[:])
	if err != nil {
		return fmt.Errorf("wise: %v: %w", err, ErrConfig)
	}
	r.Header.Set(wiseHeader, base64.StdEncoding.EncodeToString(sig))
	return nil
}
