package verify

import (
	"crypto/rand"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func init() {
	register(Preset{
		Name:   "vonage",
		Scheme: "jwt-hs256",
		Description: "Vonage signed webhooks (Messages, Dispatch, Voice POST): Authorization Bearer HS256 JWT keyed with the signature secret raw, " +
			"payload_hash = hex SHA-256 of the body, iat at most 5 min off",
		Headers:   []string{vonageHeader},
		Tolerance: 5 * time.Minute,
		// No event ID: a message's status webhooks share its
		// message_uuid, so the body's SHA-256 identifies each. The type
		// is the channel and message_type of an inbound message, the
		// channel and status of a status update, or a call's status.
		EventType: []string{"channel", "message_type", "status"},
		New:       newWith(newVonage),
		Sign:      signVonage,
	})
}

const vonageHeader = "Authorization"

// newVonage builds the check of Vonage's signed webhooks: an HS256 JWT
// after "Bearer ", keyed with the account's signature secret, whose
// payload_hash claim is the hex SHA-256 of the body and whose iat is
// within the tolerance.
func newVonage(o Options) (*bodyHashToken, error) {
	ks, err := newJWTKeys("vonage", o, []string{"HS256"}, "", rawHMACKey)
	if err != nil {
		return nil, err
	}
	return &bodyHashToken{
		header: vonageHeader,
		prefix: "Bearer ",
		claim:  "payload_hash",
		check:  newJWTCheck("header "+vonageHeader, []string{"HS256"}, ks),
		tol:    o.Tolerance,
	}, nil
}

// signVonage sets Authorization as Vonage does: iat, a random jti, iss
// "Vonage" and payload_hash, signed with o.Secrets[0].
func signVonage(r *Request, o Options, now time.Time) error {
	return signBodyHash("vonage", r, o, vonageHeader, "Bearer ", "payload_hash",
		jwt.MapClaims{"iat": now.Unix(), "jti": rand.Text(), "iss": "Vonage"})
}
