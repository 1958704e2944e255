package verify

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

func init() {
	register(Preset{
		Name:        "meta",
		Aliases:     []string{"facebook", "instagram", "whatsapp"},
		Scheme:      "hmac-sha256",
		Description: "Meta (Facebook, Instagram, WhatsApp): X-Hub-Signature-256 sha256=<hex> over the body, app secret; GET hub.challenge handshake checked against verify_token",
		Headers:     []string{metaHeader},
		// Meta sends no delivery ID, and entry IDs are page or account IDs
		// shared by many events: events are identified by the body's hash,
		// which a retry repeats.
		EventType: []string{"object", "entry.0.changes.0.field"},
		Options:   []string{"verify_token"},
		Methods:   []string{http.MethodGet, http.MethodPost},
		New:       func(o Options) (Verifier, error) { return verifier(newMeta(o)) },
		Sign: func(r *Request, o Options, _ time.Time) error {
			v, err := newMeta(o)
			if err != nil {
				return err
			}
			v.hmac.sign(r)
			return nil
		},
	})
}

const metaHeader = "X-Hub-Signature-256"

// metaVerifier checks Meta's webhooks: a POST carries GitHub's construction
// keyed with the app secret; a GET is the subscription handshake, answered
// with hub.challenge when hub.verify_token equals Options.VerifyToken. It is
// safe for concurrent use.
type metaVerifier struct {
	hmac        *hmacVerifier
	verifyToken [][32]byte // SHA-256 of the verify token; nil when none is set
}

var _ Verifier = (*metaVerifier)(nil)

func newMeta(o Options) (*metaVerifier, error) {
	o.Header, o.Prefix, o.Algorithm, o.Encoding = metaHeader, "sha256=", "sha256", "hex"
	h, err := newHMAC("meta", o)
	if err != nil {
		return nil, err
	}
	v := &metaVerifier{hmac: h}
	if o.VerifyToken != "" {
		v.verifyToken = secretSums([]string{o.VerifyToken})
	}
	return v, nil
}

// Verify implements Verifier. A GET is the handshake: it must carry
// hub.mode=subscribe, hub.verify_token and hub.challenge in Request.URL's
// query; a wrong token, or any token when no verify_token is configured, is
// ErrMismatch. Every other method is checked as a signed delivery.
func (v *metaVerifier) Verify(r *Request, now time.Time) (Result, error) {
	if r.Method != http.MethodGet {
		return v.hmac.Verify(r, now)
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return Result{}, fmt.Errorf("handshake URL: %v: %w", err, ErrMalformed)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Result{}, fmt.Errorf("handshake query: %v: %w", err, ErrMalformed)
	}
	if mode := q.Get("hub.mode"); mode != "subscribe" {
		return Result{}, fmt.Errorf("handshake query: hub.mode is %q, not subscribe: %w", truncate(mode), ErrMalformed)
	}
	token := q.Get("hub.verify_token")
	if token == "" {
		return Result{}, fmt.Errorf("handshake query: hub.verify_token: %w", ErrNoSignature)
	}
	challenge := q.Get("hub.challenge")
	if challenge == "" {
		return Result{}, fmt.Errorf("handshake query: hub.challenge is missing: %w", ErrMalformed)
	}
	if v.verifyToken == nil {
		return Result{}, fmt.Errorf("handshake query: hub.verify_token given but no verify_token is configured: %w", ErrMismatch)
	}
	if matchSecret(v.verifyToken, []byte(token)) < 0 {
		return Result{}, fmt.Errorf("handshake query: hub.verify_token does not match: %w", ErrMismatch)
	}
	return handshake(&Response{ContentType: "text/plain; charset=utf-8", Body: []byte(challenge)}), nil
}
