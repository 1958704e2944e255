package verify

import (
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

// newNetlify builds the check of Netlify's JWS: HS256 keyed with the JWS
// secret, iss "netlify", and the body's hex SHA-256 in the sha256 claim.
// Nothing in it is timed.
func newNetlify(o Options) (*bodyHashToken, error) {
	ks, err := newJWTKeys("netlify-jws", o, []string{"HS256"}, "", rawHMACKey)
	if err != nil {
		return nil, err
	}
	return &bodyHashToken{
		header: netlifyHeader,
		claim:  "sha256",
		check:  newJWTCheck("header "+netlifyHeader, []string{"HS256"}, ks, jwt.WithIssuer("netlify")),
	}, nil
}

func signNetlify(r *Request, o Options, _ time.Time) error {
	return signBodyHash("netlify-jws", r, o, netlifyHeader, "", "sha256", jwt.MapClaims{"iss": "netlify"})
}
