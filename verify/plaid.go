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
		Name:    "plaid-jwt",
		Aliases: []string{"plaid"},
		Scheme:  "jwt-es256",
		Description: "Plaid: Plaid-Verification ES256 JWT, kid selects the JWK (jwks, jwks_url, or P-256 public keys in secrets), " +
			"iat at most 5 min off, request_body_sha256 = hex SHA-256 of the body; Sign takes a P-256 private key (PEM or base64 DER)",
		Headers:   []string{plaidHeader},
		Tolerance: 5 * time.Minute,
		// Plaid sends no event ID; a retry carries the same body, so the
		// body's SHA-256 identifies it.
		EventType: []string{"webhook_type", "webhook_code"},
		Options:   []string{"jwks", "jwks_url", "jwks_refresh"},
		NoSecret:  true,
		New:       newWith(newPlaid),
		Sign:      signPlaid,
	})
}

const plaidHeader = "Plaid-Verification"

// newPlaid builds the check of Plaid's webhook JWT: ES256 only, the key
// chosen by kid, iat within the tolerance, and the body's hex SHA-256 in
// request_body_sha256.
//
// Plaid serves its keys one kid at a time from the credentialed POST
// /webhook_verification_key/get, not as a JWKS: configure them inline
// (jwks), in secrets, or behind a jwks_url that serves {"keys":[...]}. A
// JWK whose expired_at has passed no longer verifies (ErrSecretExpired).
func newPlaid(o Options) (*bodyHashToken, error) {
	ks, err := newJWTKeys("plaid-jwt", o, []string{"ES256"}, "", parseVerifyKey)
	if err != nil {
		return nil, err
	}
	return &bodyHashToken{
		header: plaidHeader,
		claim:  "request_body_sha256",
		check:  newJWTCheck("header "+plaidHeader, []string{"ES256"}, ks),
		tol:    o.Tolerance,
	}, nil
}

// signPlaid sets Plaid-Verification, signed with the P-256 private key in
// o.Secrets[0]; its kid is the key's RFC 7638 thumbprint.
func signPlaid(r *Request, o Options, now time.Time) error {
	if len(o.Secrets) == 0 {
		return fmt.Errorf("plaid-jwt: Sign needs the private key in secrets: %w", ErrConfig)
	}
	k, err := parseP256SignKey(o.Secrets[0])
	if err != nil {
		return secretErr("plaid-jwt", 0, "%v", err)
	}
	sum := sha256.Sum256(r.Body)
	tok, err := signToken("ES256", k, signerKid(k), jwt.MapClaims{"iat": now.Unix(), "request_body_sha256": hex.EncodeToString(sum[:])})
	if err != nil {
		return fmt.Errorf("plaid-jwt: %v: %w", err, ErrConfig)
	}
	r.Header.Set(plaidHeader, tok)
	return nil
}
