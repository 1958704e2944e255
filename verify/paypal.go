package verify

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:   "paypal",
		Scheme: "x509-rsa",
		Description: "PayPal webhooks: PAYPAL-TRANSMISSION-SIG, base64 SHA256withRSA over <transmission id>|<transmission time>|<webhook id>|<CRC32 of the body, decimal> " +
			"by the certificate at PAYPAL-CERT-URL, fetched over HTTPS from api[-m][.sandbox].paypal.com only; secrets are the webhook IDs; " +
			"Sign takes the webhook ID, a newline and a PEM RSA private key",
		Headers: []string{paypalID, paypalTime, paypalSig, paypalCertURL, paypalAlgo},
		// Each delivery attempt is a new transmission, signed when sent:
		// the transmission ID is a time-based UUID of the transmission
		// time (so in PayPal's SDK examples), and PayPal's retries, 25 over
		// 3 days, are new transmissions.
		Tolerance: 10 * time.Minute,
		EventID:   "id",
		EventType: []string{"event_type"},
		CreatedAt: "create_time",
		// The signature covers a CRC32 of the body, which anyone can make
		// another body match: the body is not authenticated beyond
		// accidents, and neither is its id. The transmission's own ID and
		// time are signed.
		BodyUnsigned: true,
		New:          newWith(newPayPal),
		Sign:         signPayPal,
	})
}

const (
	paypalID      = "Paypal-Transmission-Id"
	paypalTime    = "Paypal-Transmission-Time"
	paypalSig     = "Paypal-Transmission-Sig"
	paypalCertURL = "Paypal-Cert-Url"
	paypalAlgo    = "Paypal-Auth-Algo"
	paypalRSA     = "SHA256withRSA"
)

// paypalHosts are PayPal's REST API hosts, live and sandbox, the classic
// names and the api-m ones; PAYPAL-CERT-URL names one of them.
var paypalHosts = map[string]bool{
	"api.paypal.com": true, "api.sandbox.paypal.com": true,
	"api-m.paypal.com": true, "api-m.sandbox.paypal.com": true,
}

// paypalCerts is where PayPal's webhook certificates are fetched from:
// /v1/notifications/certs/<name> on an API host.
var paypalCerts = certPolicy{
	provider: "PayPal",
	host:     func(h string) bool { return paypalHosts[h] },
	path: func(p string) bool {
		name, ok := strings.CutPrefix(p, "/v1/notifications/certs/")
		return ok && name != "" && !strings.Contains(name, "/")
	},
}

// paypalVerifier checks PayPal webhooks: the SHA256withRSA signature, by
// the certificate at PAYPAL-CERT-URL, of the transmission ID, the
// transmission time, the webhook ID (the secret: each configured ID is
// tried) and the CRC32 of the body. It is safe for concurrent use.
type paypalVerifier struct {
	ids    []string
	tol    time.Duration
	client *http.Client
}

var _ Verifier = (*paypalVerifier)(nil)

// parsePayPalID checks a webhook ID as PayPal's API describes it: letters
// and digits, at most 50.
func parsePayPalID(s string) (string, error) {
	if len(s) > 50 || strings.TrimLeft(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
		return "", errors.New("is not a PayPal webhook ID (at most 50 letters and digits)")
	}
	return s, nil
}

func newPayPal(o Options) (*paypalVerifier, error) {
	ids, err := parseSecrets("paypal", o.Secrets, parsePayPalID)
	if err != nil {
		return nil, err
	}
	return &paypalVerifier{ids: ids, tol: o.Tolerance, client: certClient(o)}, nil
}

// paypalSigned is the content PayPal signs.
func paypalSigned(id, ts, webhookID string, body []byte) []byte {
	crc := strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)
	return []byte(id + "|" + ts + "|" + webhookID + "|" + crc)
}

// Verify implements Verifier. The certificate URL is checked before it is
// fetched: one that is not on a PayPal API host is ErrMalformed, a
// certificate that cannot be fetched ErrKeysUnavailable.
func (v *paypalVerifier) Verify(r *Request, now time.Time) (Result, error) {
	var vals [5]string
	for i, h := range [...]string{paypalSig, paypalID, paypalTime, paypalCertURL, paypalAlgo} {
		var err error
		if vals[i], err = requireHeader(r, h); err != nil {
			return Result{}, err
		}
	}
	sigB64, id, ts, rawURL, algo := vals[0], vals[1], vals[2], vals[3], vals[4]
	if algo != paypalRSA {
		return Result{}, fmt.Errorf("header %s: %q is not %s: %w", paypalAlgo, truncate(algo), paypalRSA, ErrMalformed)
	}
	at, err := stampRFC3339.read("header", paypalTime, ts)
	if err != nil {
		return Result{}, err
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) == 0 {
		return Result{}, fmt.Errorf("header %s: not base64: %w", paypalSig, ErrMalformed)
	}
	certURL, err := paypalCerts.check("header "+paypalCertURL, rawURL)
	if err != nil {
		return Result{}, err
	}
	key, err := certs.key(v.client, certURL, now)
	if err != nil {
		return Result{}, err
	}
	idx := -1
	for i, wid := range v.ids {
		sum := sha256.Sum256(paypalSigned(id, ts, wid, r.Body))
		if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) == nil {
			idx = i
			break
		}
	}
	if idx < 0 {
		return Result{}, fmt.Errorf("header %s: verifies with none of %d webhook IDs: %w", paypalSig, len(v.ids), ErrMismatch)
	}
	if err := checkWindow("header", paypalTime, ts, at, now, v.tol); err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: idx}, nil
}

// paypalCertURLFor is the certificate URL Sign names for key k: where the
// caller must serve k's certificate.
func paypalCertURLFor(k *rsa.PublicKey) string {
	fp := keyFingerprint(k)
	return "https://api.paypal.com/v1/notifications/certs/CERT-" + fp[:8] + "-" + fp[8:16] + "-" + fp[16:24]
}

// signPayPal sets PayPal's headers on r, signed with the key and webhook ID
// of o.Secrets[0] (see signingKey) at time now, keeping a transmission ID
// that r already carries. PAYPAL-CERT-URL names
// https://api.paypal.com/v1/notifications/certs/CERT-<key fingerprint>,
// where the verifier fetches the key's certificate.
func signPayPal(r *Request, o Options, now time.Time) error {
	wid, k, err := signingKey("paypal", o.Secrets[0])
	if err != nil {
		return err
	}
	if _, err := parsePayPalID(wid); err != nil {
		return secretErr("paypal", 0, "the first line %v", err)
	}
	id := r.Header.Get(paypalID)
	if id == "" {
		t := strings.ToLower(rand.Text())
		id = t[:8] + "-" + t[8:12] + "-" + t[12:16] + "-" + t[16:20] + "-" + t[20:26]
	}
	ts := now.UTC().Format(time.RFC3339)
	sum := sha256.Sum256(paypalSigned(id, ts, wid, r.Body))
	sig, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, sum[:])
	if err != nil {
		return fmt.Errorf("paypal: %v: %w", err, ErrConfig)
	}
	r.Header.Set(paypalID, id)
	r.Header.Set(paypalTime, ts)
	r.Header.Set(paypalCertURL, paypalCertURLFor(&k.PublicKey))
	r.Header.Set(paypalAlgo, paypalRSA)
	r.Header.Set(paypalSig, base64.StdEncoding.EncodeToString(sig))
	return nil
}
