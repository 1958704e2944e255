package verify

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"maps"
	"math/big"
	"net/url"
	"slices"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:   "plivo",
		Scheme: "hmac-sha256",
		Description: "Plivo: X-Plivo-Signature-V3 base64 HMAC-SHA256 over {URL}?{sorted query}.{sorted form params}.{X-Plivo-Signature-V3-Nonce}, " +
			"auth token raw; form-encoded POST bodies; the nonce must be decimal digits, as Plivo sends",
		Headers: []string{plivoHeader, plivoNonceHeader},
		// No event ID that JSON paths can read (form bodies hold
		// MessageUUID or CallUUID): the SHA-256 of what is signed, the
		// nonce aside (a retry gets a new one), identifies the event
		// however the form is encoded (Result.ID).
		Options: []string{"public_url"},
		New:     newWith(newPlivo),
		Sign:    signWith(newPlivo),
	})
}

const (
	plivoHeader      = "X-Plivo-Signature-V3"
	plivoNonceHeader = "X-Plivo-Signature-V3-Nonce"
)

// plivoVerifier checks Plivo's V3 signature as validate_v3_signature in
// plivo-python does for a POST: base64 HMAC-SHA256, keyed with the auth
// token, of
//
//	scheme://host/path ? sorted query [.] sorted params . nonce
//
// where the query is the URL's, decoded, as name=value pairs joined by
// "&" (sorted by name, then value), the "." after it is there only when
// both query and params are, and the params are the form body's names and
// values, sorted, joined without separators (as Twilio's). Without form
// params, neither "?" nor "." appears unless there is a query. The header
// may carry several signatures separated by commas. The nonce must be
// decimal digits (see plivoNonce). Nothing is timed.
type plivoVerifier struct{ urlMACs }

var _ Verifier = (*plivoVerifier)(nil)

func newPlivo(o Options) (*plivoVerifier, error) {
	u, err := newURLMACs("plivo", o, sha256.New)
	if err != nil {
		return nil, err
	}
	return &plivoVerifier{u}, nil
}

// Verify implements Verifier.
func (v *plivoVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	s, nonce, _, err := readStamped(r, plivoHeader, plivoNonceHeader, stampOpaque)
	if err != nil {
		return Result{}, err
	}
	if !plivoNonce(nonce) {
		return Result{}, fmt.Errorf("header %s: %q is not 1 to %d decimal digits: %w", plivoNonceHeader, truncate(nonce), maxPlivoNonce, ErrMalformed)
	}
	var sigs sigList
	for e := range strings.SplitSeq(s, ",") {
		if _, full := sigs.add(strings.TrimSpace(e), encBase64); full {
			return Result{}, fmt.Errorf("header %s: more than %d signatures: %w", plivoHeader, maxSigs, ErrMalformed)
		}
	}
	if sigs.n == 0 {
		return Result{}, fmt.Errorf("header %s: no 32-byte base64 signature: %w", plivoHeader, ErrMalformed)
	}
	u, err := checkedURL(r, v.base, plivoHeader)
	if err != nil {
		return Result{}, err
	}
	signed, err := plivoSigned(u, r.Body, nonce)
	if err != nil {
		return Result{}, err
	}
	i := v.macs.find(func(st *macState) bool {
		st.write(signed)
		return sigs.match(st.sum())
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: no signature over %s matches any of %d secrets: %w", plivoHeader, quoteURL(u), len(v.macs.pools), ErrMismatch)
	}
	// The nonce is new on each attempt: the ID is what else is signed.
	// The nonce holds no ".", so it is all that follows the last one and
	// no bytes can move between it and the params.
	return Result{SecretIndex: i, ID: signedID(strings.TrimSuffix(signed, "."+nonce))}, nil
}

// maxPlivoNonce bounds the nonce; Plivo's are 20 digits.
const maxPlivoNonce = 64

// plivoNonce reports whether s is a nonce as Plivo sends them: decimal
// digits (20 in every example of its documentation and SDK tests, such as
// 05429567804466091622). The signed content ends with "." and the nonce,
// so a nonce that could hold a "." would let the end of the params move
// into it: TotalAmount=0.00500 with nonce N signs the same bytes as
// TotalAmount=0 with nonce 00500.N, a new event under a captured
// signature.
func plivoNonce(s string) bool {
	if s == "" || len(s) > maxPlivoNonce {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// plivoSigned returns the content Plivo signs for a POST to rawURL with a
// form body and the nonce.
func plivoSigned(rawURL string, body []byte, nonce string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("URL %s: not an absolute URL: %w", quoteURL(rawURL), ErrMalformed)
	}
	q, err := plivoQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("URL %s: query: %v: %w", quoteURL(rawURL), err, ErrMalformed)
	}
	params, err := twilioParams(body)
	if err != nil {
		return "", fmt.Errorf("body: %v: %w", err, ErrMalformed)
	}
	var b strings.Builder
	b.WriteString(u.Scheme + "://" + u.Host + u.EscapedPath())
	switch {
	case len(params) > 0:
		b.WriteString("?" + q)
		if q != "" {
			b.WriteByte('.')
		}
		b.Write(params)
	case q != "":
		b.WriteString("?" + q)
	}
	b.WriteString("." + nonce)
	return b.String(), nil
}

// plivoQuery returns the query rawQuery as Plivo signs it: decoded
// name=value pairs, sorted by name then value, joined by "&".
func plivoQuery(rawQuery string) (string, error) {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", err
	}
	var pairs []string
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		vs := slices.Clone(vals[k])
		slices.Sort(vs)
		for _, v := range vs {
			pairs = append(pairs, k+"="+v)
		}
	}
	return strings.Join(pairs, "&"), nil
}

// plivoNonceSpace is 10^20, the number of 20-digit nonces.
var plivoNonceSpace = new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil)

// sign sets a random nonce and the signature with the first secret.
func (v *plivoVerifier) sign(r *Request, _ time.Time) error {
	u, err := signingURL(r, v.base, "plivo")
	if err != nil {
		return err
	}
	// 20 random decimal digits, as Plivo sends.
	n, err := rand.Int(rand.Reader, plivoNonceSpace)
	if err != nil {
		return err
	}
	nonce := fmt.Sprintf("%020d", n)
	signed, err := plivoSigned(u, r.Body, nonce)
	if err != nil {
		return fmt.Errorf("plivo: %v: %w", err, ErrConfig)
	}
	r.Header.Set(plivoNonceHeader, nonce)
	r.Header.Set(plivoHeader, v.macs.mac(0, encBase64, func(st *macState) { st.write(signed) }))
	return nil
}
