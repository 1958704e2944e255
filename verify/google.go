package verify

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func init() {
	register(Preset{
		Name:         "google-oidc-jwt",
		BodyUnsigned: true,
		Aliases:      []string{"google-pubsub", "pubsub"},
		Scheme:       "jwt-rs256",
		Description: "Google Pub/Sub push: Authorization: Bearer OIDC JWT (RS256, Google's JWKS by kid) with iss accounts.google.com, " +
			"aud and email (both required) and email_verified; the body is NOT signed; Sign takes an RSA private key (PEM)",
		Headers: []string{"Authorization"},
		// Google's tokens live one hour: iat may be that far off, and exp
		// must not have passed.
		Tolerance: time.Hour,
		EventID:   "message.messageId",
		// Pub/Sub has no event type; Cloud Storage and many publishers set
		// the eventType attribute.
		EventType: []string{"message.attributes.eventType"},
		Options:   []string{"audience", "email", "jwks", "jwks_url", "jwks_refresh"},
		NoSecret:  true,
		New:       newWith(newGoogle),
		Sign:      signGoogle,
	})
}

// googleCertsURL is Google's JWKS of OIDC signing keys, fetched when no
// keys are configured.
const googleCertsURL = "https://www.googleapis.com/oauth2/v3/certs"

// googleIssuers are the two spellings of Google's issuer.
var googleIssuers = []string{"https://accounts.google.com", "accounts.google.com"}

// googleVerifier checks the OIDC token of a Pub/Sub push subscription.
// The token does not cover the body: anyone holding a valid token (about
// an hour) can send any body with it. Dedupe on message.messageId.
type googleVerifier struct {
	check *jwtCheck
	email string
	tol   time.Duration
}

var _ Verifier = (*googleVerifier)(nil)

func newGoogle(o Options) (*googleVerifier, error) {
	// Any Google service account can get a token for any audience, so
	// only the email says the token is the push subscription's.
	if len(o.Audience) == 0 {
		return nil, fmt.Errorf("google-oidc-jwt: option audience (the push endpoint URL or the subscription's audience) is required: %w", ErrConfig)
	}
	if o.Email == "" {
		return nil, fmt.Errorf("google-oidc-jwt: option email (the push subscription's service account) is required: %w", ErrConfig)
	}
	ks, err := newJWTKeys("google-oidc-jwt", o, []string{"RS256"}, googleCertsURL, parseVerifyKey)
	if err != nil {
		return nil, err
	}
	return &googleVerifier{
		check: newJWTCheck("header Authorization", []string{"RS256"}, ks, jwt.WithAudience(o.Audience...), jwt.WithExpirationRequired()),
		email: o.Email,
		tol:   o.Tolerance,
	}, nil
}

// googleClaims are the claims of a Google OIDC token that are checked.
type googleClaims struct {
	jwt.RegisteredClaims
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"` // true, or "true" in some tokens
}

// Verify implements Verifier. A bad signature is ErrMismatch; a wrong
// issuer, audience, email or an unverified email is ErrClaims; an expired
// token, or an iat more than the tolerance in the past, is ErrTooOld.
func (v *googleVerifier) Verify(r *Request, now time.Time) (Result, error) {
	tok, err := bearerToken(r, "Authorization")
	if err != nil {
		return Result{}, err
	}
	var c googleClaims
	k, err := v.check.parse(tok, &c, now)
	if err != nil {
		return Result{}, err
	}
	w := v.check.where
	switch {
	case c.Issuer != googleIssuers[0] && c.Issuer != googleIssuers[1]:
		return Result{}, claimsErr(w, "iss %q is not Google", truncate(c.Issuer))
	case !strings.EqualFold(c.Email, v.email):
		return Result{}, claimsErr(w, "email %q is not %q", truncate(c.Email), v.email)
	case string(c.EmailVerified) != "true" && string(c.EmailVerified) != `"true"`:
		return Result{}, claimsErr(w, "email_verified is not true")
	}
	if err := checkIssuedAt("Authorization", &c, now, v.tol, true); err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: k.index}, nil
}

// signGoogle sets Authorization: Bearer with a token as Google would make
// it for o.Audience[0] and o.Email, valid for an hour, signed with the RSA
// private key in o.Secrets[0] (kid: its RFC 7638 thumbprint).
func signGoogle(r *Request, o Options, now time.Time) error {
	if len(o.Secrets) == 0 {
		return fmt.Errorf("google-oidc-jwt: Sign needs the private key in secrets: %w", ErrConfig)
	}
	if len(o.Audience) == 0 || o.Email == "" {
		return fmt.Errorf("google-oidc-jwt: Sign needs options audience and email: %w", ErrConfig)
	}
	sk, err := parseSignKey(o.Secrets[0])
	if err != nil {
		return secretErr("google-oidc-jwt", 0, "%v", err)
	}
	k, ok := sk.(*rsa.PrivateKey)
	if !ok {
		return secretErr("google-oidc-jwt", 0, "is a %T, not an RSA private key", sk)
	}
	tok, err := signToken("RS256", k, signerKid(k), jwt.MapClaims{
		"iss":            googleIssuers[0],
		"aud":            o.Audience[0],
		"email":          o.Email,
		"email_verified": true,
		"iat":            now.Unix(),
		"exp":            now.Add(time.Hour).Unix(),
	})
	if err != nil {
		return fmt.Errorf("google-oidc-jwt: %v: %w", err, ErrConfig)
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}
