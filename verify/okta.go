package verify

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

func init() {
	register(Preset{
		Name:         "okta",
		BodyUnsigned: true,
		Handshake:    "GET with X-Okta-Verification-Challenge: answered {\"verification\":\"<challenge>\"} as JSON",
		Scheme:       "token",
		Description:  "Okta event hooks: the configured auth header (default Authorization) must equal the secret; body not signed; GET verification answered",
		Headers:      []string{"Authorization", oktaChallengeHeader},
		EventID:      "eventId",
		EventType:    []string{"data.events.0.eventType"},
		Options:      []string{"header"},
		Methods:      []string{http.MethodGet, http.MethodPost},
		New:          newWith(newOkta),
		Sign:         signWith(newOkta),
	})
}

const oktaChallengeHeader = "X-Okta-Verification-Challenge"

// oktaVerifier checks an Okta event hook: Okta sends the value configured
// as the hook's authScheme in one header (Authorization unless the hook
// names another), the token scheme without a prefix, and nothing is
// signed, so the body is not authenticated. The one-time verification GET
// is answered with the challenge.
type oktaVerifier struct{ *tokenVerifier }

var _ Verifier = (*oktaVerifier)(nil)

func newOkta(o Options) (*oktaVerifier, error) {
	h := o.Header
	if h == "" {
		h = "Authorization"
	}
	t, err := newToken("okta", h, "", o.Secrets)
	if err != nil {
		return nil, err
	}
	return &oktaVerifier{t}, nil
}

// Verify implements Verifier. The verification GET is answered without
// checking the header: the answer is only the challenge, and nothing is
// recorded.
func (v *oktaVerifier) Verify(r *Request, now time.Time) (Result, error) {
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
	return v.tokenVerifier.Verify(r, now)
}
