package verify

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/textproto"
	"time"
)

func init() {
	register(Preset{
		Name:        "okta",
		Scheme:      "token",
		Description: "Okta event hooks: the configured auth header (default Authorization) must equal the secret; body not signed; GET verification answered",
		Headers:     []string{"Authorization", oktaChallengeHeader},
		EventID:     "eventId",
		EventType:   []string{"data.events.0.eventType"},
		Options:     []string{"header"},
		Methods:     []string{http.MethodGet, http.MethodPost},
		New:         func(o Options) (Verifier, error) { return verifier(newOkta(o)) },
		Sign: func(r *Request, o Options, _ time.Time) error {
			v, err := newOkta(o)
			if err != nil {
				return err
			}
			r.Header.Set(v.header, o.Secrets[0])
			return nil
		},
	})
}

const oktaChallengeHeader = "X-Okta-Verification-Challenge"

// oktaVerifier checks an Okta event hook: Okta sends the value configured
// as the hook's authScheme in one header (Authorization unless the hook
// names another), and nothing is signed, so the body is not authenticated.
// The one-time verification GET is answered with the challenge.
type oktaVerifier struct {
	header string
	sums   [][sha256.Size]byte // of each secret
}

var _ Verifier = (*oktaVerifier)(nil)

func newOkta(o Options) (*oktaVerifier, error) {
	h := "Authorization"
	if o.Header != "" {
		if !validHeaderName(o.Header) {
			return nil, fmt.Errorf("okta: option header %q is not a valid header name: %w", o.Header, ErrConfig)
		}
		h = o.Header
	}
	return &oktaVerifier{header: textproto.CanonicalMIMEHeaderKey(h), sums: secretSums(o.Secrets)}, nil
}

// Verify implements Verifier. The header is compared through its SHA-256
// in constant time, so neither its content nor its length leaks. The
// verification GET is answered without checking the header: the answer is
// only the challenge, and nothing is recorded.
func (v *oktaVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	if r.Method == http.MethodGet {
		c := r.Header.Get(oktaChallengeHeader)
		switch {
		case c == "":
			return Result{}, fmt.Errorf("header %s: %w", oktaChallengeHeader, ErrNoSignature)
		case len(c) > maxChallenge:
			return Result{}, fmt.Errorf("header %s: %d bytes, at most %d: %w", oktaChallengeHeader, len(c), maxChallenge, ErrMalformed)
		}
		body, err := json.Marshal(map[string]string{"verification": c})
		if err != nil {
			return Result{}, fmt.Errorf("header %s: %v: %w", oktaChallengeHeader, err, ErrMalformed)
		}
		return handshake(&Response{ContentType: "application/json", Body: body}), nil
	}
	s := r.Header.Get(v.header)
	if s == "" {
		return Result{}, fmt.Errorf("header %s: %w", v.header, ErrNoSignature)
	}
	match := matchSecret(v.sums, []byte(s))
	if match < 0 {
		return Result{}, fmt.Errorf("header %s: matches none of %d secrets: %w", v.header, len(v.sums), ErrMismatch)
	}
	return Result{SecretIndex: match}, nil
}
