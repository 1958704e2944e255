package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/url"
	"time"
)

func init() {
	register(Preset{
		Name:        "square",
		Scheme:      "hmac-sha256",
		Description: "Square: x-square-hmacsha256-signature base64 over {notification URL}{body}, signature key raw (public_url: the URL as configured in Square)",
		Headers:     []string{squareHeader},
		EventID:     "event_id",
		EventType:   []string{"type"},
		CreatedAt:   "created_at", // RFC 3339
		Ordering:    &OrderingInfo{Key: "data.id", Version: "created_at", Format: "rfc3339"},
		Options:     []string{"public_url"},
		New:         newWith(newSquare),
		Sign:        signWith(newSquare),
	})
}

const squareHeader = "X-Square-Hmacsha256-Signature"

// squareVerifier checks Square's scheme: base64 HMAC-SHA256 over the
// subscription's notification URL followed by the body, keyed with the
// signature key as a string (it looks like base64url but is not decoded).
// The URL must be the one configured in Square byte for byte, so behind a
// proxy public_url gives it whole; otherwise the request's URL is used.
type squareVerifier struct {
	url  string // public_url, or "" for the request's URL
	macs *macSet
}

var _ Verifier = (*squareVerifier)(nil)

func newSquare(o Options) (*squareVerifier, error) {
	if o.PublicURL != "" {
		u, err := url.Parse(o.PublicURL)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			return nil, fmt.Errorf("square: option public_url %s is not an http:// or https:// URL with a host: %w", quoteURL(o.PublicURL), ErrConfig)
		}
	}
	return &squareVerifier{url: o.PublicURL, macs: newMACSet(rawKeys(o.Secrets), sha256.New)}, nil
}

func (v *squareVerifier) notificationURL(r *Request) string {
	if v.url != "" {
		return v.url
	}
	return r.URL
}

// Verify implements Verifier.
func (v *squareVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	s, err := requireHeader(r, squareHeader)
	if err != nil {
		return Result{}, err
	}
	var sig [sha256.Size]byte
	if err := readMAC(sig[:], squareHeader, s, "", encBase64); err != nil {
		return Result{}, err
	}
	u := v.notificationURL(r)
	if u == "" {
		return Result{}, fmt.Errorf("header %s: the request has no URL to check it against: %w", squareHeader, ErrMalformed)
	}
	i := v.macs.find(func(st *macState) bool {
		writeSquare(st, u, r.Body)
		return hmac.Equal(st.sum(), sig[:])
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: signature over %s matches none of %d secrets: %w", squareHeader, quoteURL(u), len(v.macs.pools), ErrMismatch)
	}
	return Result{SecretIndex: i}, nil
}

// writeSquare feeds st the signed content: the notification URL, then the
// body.
func writeSquare(st *macState, u string, body []byte) {
	st.write(u)
	st.h.Write(body)
}

func (v *squareVerifier) sign(r *Request, _ time.Time) error {
	u := v.notificationURL(r)
	if u == "" {
		return fmt.Errorf("square signs the notification URL: the request has none and public_url is not set: %w", ErrConfig)
	}
	r.Header.Set(squareHeader, v.macs.mac(0, encBase64, func(st *macState) { writeSquare(st, u, r.Body) }))
	return nil
}
