package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func init() {
	register(Preset{
		Name:        "netlify-jws",
		Aliases:     []string{"netlify"},
		Scheme:      "jws-hs256",
		Description: `Netlify deploy notifications: X-Webhook-Signature HS256 JWS with iss "netlify" and sha256 = hex SHA-256 of the body; JWS secret raw`,
		Headers:     []string{netlifyHeader},
		EventID:     "id",
		EventType:   []string{"state"},
		New:         newWith(newNetlify),
		Sign:        signNetlify,
	})
}

const netlifyHeader = "X-Webhook-Signature"

// netlifyVerifier checks Netlify's JWS: HS256 keyed with the JWS secret,
// iss "netlify", and the body's hex SHA-256 in the sha256 claim. Nothing in
// it is timed.
type netlifyVerifier struct {
	check *jwtCheck
}

var _ Verifier = (*netlifyVerifier)(nil)

func newNetlify(o Options) (*netlifyVerifier, error) {
	ks, err := newJWTKeys("netlify-jws", o, []string{"HS256"}, "", func(s string) (jwtKey, error) { return jwtKey{key: []byte(s)}, nil })
	if err != nil {
		return nil, err
	}
	return &netlifyVerifier{check: newJWTCheck("header "+netlifyHeader, []string{"HS256"}, ks, jwt.WithIssuer("netlify"))}, nil
}

// netlifyClaims are the claims of Netlify's JWS.
type netlifyClaims struct {
	jwt.RegisteredClaims
	SHA256 any `json:"sha256"`
}

// Verify implements Verifier. A sha256 claim that does not match the body
// is ErrMismatch: the body is not the one that was signed.
func (v *netlifyVerifier) Verify(r *Request, now time.Time) (Result, error) {
	var c netlifyClaims
	k, err := v.check.parseBodyHashed(r, netlifyHeader, &c, "sha256", &c.SHA256, now)
	if err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: k.index}, nil
}

func signNetlify(r *Request, o Options, _ time.Time) error {
	sum := sha256.Sum256(r.Body)
	tok, err := signToken("HS256", []byte(o.Secrets[0]), "", jwt.MapClaims{"iss": "netlify", "sha256": hex.EncodeToString(sum[:])})
	if err != nil {
		return fmt.Errorf("netlify-jws: %v: %w", err, ErrConfig)
	}
	r.Header.Set(netlifyHeader, tok)
	return nil
}
