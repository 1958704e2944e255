package verify

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func init() {
	register(Preset{
		Name:         "jwt",
		BodyUnsigned: true,
		Scheme:       "jwt",
		Description: "Generic JWT in a header (default Authorization: Bearer), algorithms pinned; keys from secrets " +
			"(PEM/JWK public keys, or HMAC secrets for HS*), jwks or jwks_url; optional iss, aud and a body SHA-256 claim; " +
			"Sign takes an HMAC secret or a PEM private key",
		Headers:   []string{"Authorization"},
		Tolerance: 5 * time.Minute,
		Options:   []string{"header", "algorithms", "issuer", "audience", "jwks", "jwks_url", "jwks_refresh", "body_hash_claim"},
		NoSecret:  true,
		New:       newWith(newJWTGeneric),
		Sign:      signJWTGeneric,
	})
}

// jwtLeeway is the clock skew allowed on exp and nbf.
const jwtLeeway = time.Minute

// jwtCheck verifies a compact JWS with golang-jwt: algorithms pinned, keys
// chosen by kid from candidates, claims decoded into the caller's type and
// validated with the request's clock.
type jwtCheck struct {
	where string // where the token is, for messages: "header Authorization"
	opts  []jwt.ParserOption
	// candidates returns the keys that may have signed t. Its errors
	// already wrap a sentinel.
	candidates func(t *jwt.Token, kid string, now time.Time) ([]jwtKey, error)
}

func newJWTCheck(where string, algs []string, ks *jwtKeys, opts ...jwt.ParserOption) *jwtCheck {
	c := &jwtCheck{
		where: where,
		opts:  append([]jwt.ParserOption{jwt.WithValidMethods(algs), jwt.WithLeeway(jwtLeeway)}, opts...),
	}
	if ks != nil {
		c.candidates = func(t *jwt.Token, kid string, now time.Time) ([]jwtKey, error) {
			cs, err := ks.candidates(kid, t.Method.Alg(), now)
			if err == nil && len(cs) == 0 {
				err = fmt.Errorf("%s: no key among %s for kid %q and alg %s: %w", where, ks.describe(), truncate(kid), t.Method.Alg(), ErrMismatch)
			}
			return cs, err
		}
	}
	return c
}

// parseHeader verifies the compact JWS carried in header h after prefix
// (matched case-insensitively; "" when the token is the whole value) and
// decodes its claims into claims. A missing header is ErrNoSignature.
func (c *jwtCheck) parseHeader(r *Request, h, prefix string, claims jwt.Claims, now time.Time) (jwtKey, error) {
	tok, err := requireHeader(r, h)
	if err != nil {
		return jwtKey{}, err
	}
	tok, ok := cutPrefixFold(tok, prefix)
	if !ok {
		return jwtKey{}, fmt.Errorf("header %s: does not start with %q: %w", h, prefix, ErrMalformed)
	}
	return c.parse(tok, claims, now)
}

// parse verifies tok and decodes its claims into claims. It returns the key
// that verified it. The signature is checked before the claims, so a
// claims error means a genuine token. A key past its JWK expired_at that
// verifies the token gives ErrSecretExpired.
func (c *jwtCheck) parse(tok string, claims jwt.Claims, now time.Time) (jwtKey, error) {
	var (
		matched jwtKey
		keyErr  error
	)
	opts := append(c.opts[:len(c.opts):len(c.opts)], jwt.WithTimeFunc(func() time.Time { return now }))
	_, err := jwt.NewParser(opts...).ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			keyErr = fmt.Errorf("%s: token header has critical extensions: %w", c.where, ErrMalformed)
			return nil, keyErr
		}
		kid, ok := t.Header["kid"].(string)
		if !ok && t.Header["kid"] != nil {
			keyErr = fmt.Errorf("%s: token kid is not a string: %w", c.where, ErrMalformed)
			return nil, keyErr
		}
		cands, err := c.candidates(t, kid, now)
		if err != nil {
			keyErr = err
			return nil, err
		}
		if len(cands) == 1 {
			matched = cands[0]
			return matched.key, nil
		}
		// Several keys (rotation): find the one that verifies, to report
		// its index; the parser then checks it once more.
		signing := t.Raw[:strings.LastIndexByte(t.Raw, '.')]
		for _, k := range cands {
			if t.Method.Verify(signing, t.Signature, k.key) == nil {
				matched = k
				return k.key, nil
			}
		}
		keyErr = fmt.Errorf("%s: signature matches none of %d keys: %w", c.where, len(cands), ErrMismatch)
		return nil, keyErr
	})
	switch {
	case keyErr != nil:
		return jwtKey{}, keyErr
	case err != nil:
		return jwtKey{}, c.mapErr(err)
	case !matched.expires.IsZero() && !now.Before(matched.expires):
		return jwtKey{}, fmt.Errorf("%s: token verified by key %q, which expired at %s: %w",
			c.where, truncate(matched.kid), matched.expires.UTC().Format(time.RFC3339), ErrSecretExpired)
	}
	return matched, nil
}

// mapErr turns a golang-jwt error into one wrapping this package's
// sentinels.
func (c *jwtCheck) mapErr(err error) error {
	var s error
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		s = ErrMalformed
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		s = ErrMismatch // includes an algorithm that is not pinned, and alg "none"
	case errors.Is(err, jwt.ErrTokenExpired):
		s = ErrTooOld
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		s = ErrTooNew
	default:
		s = ErrClaims
	}
	return fmt.Errorf("%s: %v: %w", c.where, err, s)
}

// bodyHashToken checks a token carried in one header (after a prefix, for
// Vonage's "Bearer ") whose claim (Netlify's sha256, Plaid's
// request_body_sha256, Vonage's payload_hash) holds the hex SHA-256 of
// the body: a claim that does not match the body is ErrMismatch, like a
// signature over a different body, and a missing one ErrClaims (see
// checkBodyHash). With a tolerance, the token's iat is required and checked
// against it. It is safe for concurrent use.
type bodyHashToken struct {
	header string // canonical
	prefix string // before the token in the header ("Bearer "), matched case-insensitively; "" for none
	claim  string
	check  *jwtCheck
	tol    time.Duration // 0: iat is not checked
}

var _ Verifier = (*bodyHashToken)(nil)

// Verify implements Verifier.
func (v *bodyHashToken) Verify(r *Request, now time.Time) (Result, error) {
	var c bodyHashClaims
	k, err := v.check.parseHeader(r, v.header, v.prefix, &c, now)
	if err != nil {
		return Result{}, err
	}
	if err := checkBodyHash(v.check.where, v.claim, c.hash(v.claim), r.Body); err != nil {
		return Result{}, err
	}
	if v.tol > 0 {
		if err := checkIssuedAt(v.header, &c, now, v.tol, true); err != nil {
			return Result{}, err
		}
	}
	return Result{SecretIndex: k.index}, nil
}

// bodyHashClaims are the claims of a bodyHashToken: the registered ones
// and the body-hash claim of each provider, decoded in one pass.
type bodyHashClaims struct {
	jwt.RegisteredClaims
	SHA256            any `json:"sha256"`              // Netlify
	RequestBodySHA256 any `json:"request_body_sha256"` // Plaid
	PayloadHash       any `json:"payload_hash"`        // Vonage
}

// hash returns the body-hash claim named name, nil for another name.
func (c *bodyHashClaims) hash(name string) any {
	switch name {
	case "sha256":
		return c.SHA256
	case "request_body_sha256":
		return c.RequestBodySHA256
	case "payload_hash":
		return c.PayloadHash
	}
	return nil
}

// claimsErr is an ErrClaims error about the token at where.
func claimsErr(where, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", where, fmt.Sprintf(format, args...), ErrClaims)
}

// checkBodyHash compares a claim holding the hex SHA-256 of the body with
// the body. A missing or unreadable claim is ErrClaims; a different hash is
// ErrMismatch, because the body is not the one that was signed.
func checkBodyHash(where, name string, claim any, body []byte) error {
	s, ok := claim.(string)
	if !ok || s == "" {
		return claimsErr(where, "claim %s is missing or not a string", name)
	}
	var want [sha256.Size]byte
	if len(s) != 2*sha256.Size {
		return claimsErr(where, "claim %s is not a hex SHA-256", name)
	}
	if _, err := hex.Decode(want[:], []byte(s)); err != nil {
		return claimsErr(where, "claim %s is not a hex SHA-256", name)
	}
	got := sha256.Sum256(body)
	if !hmac.Equal(got[:], want[:]) {
		return fmt.Errorf("%s: claim %s does not match the SHA-256 of the body: %w", where, name, ErrMismatch)
	}
	return nil
}

// checkIssuedAt applies the replay window to a token's iat, both ways.
func checkIssuedAt(hdr string, claims jwt.Claims, now time.Time, tol time.Duration, required bool) error {
	iat, err := claims.GetIssuedAt()
	switch {
	case err != nil:
		return fmt.Errorf("header %s: claim iat: %v: %w", hdr, err, ErrMalformed)
	case iat == nil && required:
		return fmt.Errorf("header %s: claim iat is missing: %w", hdr, ErrClaims)
	case iat == nil:
		return nil
	}
	var buf [24]byte
	raw := strconv.AppendInt(append(buf[:0], "iat="...), iat.Unix(), 10)
	return checkWindow("header", hdr, raw, time.Unix(iat.Unix(), 0), now, tol)
}

// bearerToken reads a token from header h, dropping a "Bearer " prefix.
func bearerToken(r *Request, h string) (string, error) {
	s, err := requireHeader(r, h)
	if err != nil {
		return "", err
	}
	if tok, ok := cutPrefixFold(s, "bearer "); ok {
		s = strings.TrimLeft(tok, " ")
	}
	if s == "" {
		return "", fmt.Errorf("header %s: empty bearer token: %w", h, ErrNoSignature)
	}
	return s, nil
}

// signToken makes a compact JWS of claims, with kid in its header when not
// empty.
func signToken(alg string, key any, kid string, claims jwt.Claims) (string, error) {
	m := jwt.GetSigningMethod(alg)
	if m == nil {
		return "", fmt.Errorf("unknown algorithm %s", alg)
	}
	t := jwt.NewWithClaims(m, claims)
	if kid != "" {
		t.Header["kid"] = kid
	}
	return t.SignedString(key)
}

// signerKid is the kid Sign puts in a token signed with k: the RFC 7638
// thumbprint of its public key.
func signerKid(k crypto.Signer) string { return jwkThumbprint(k.Public()) }

// jwtGeneric is the generic jwt scheme.
type jwtGeneric struct {
	header   string
	check    *jwtCheck
	bodyHash string
	tol      time.Duration
}

var _ Verifier = (*jwtGeneric)(nil)

// jwtGenericAlgs checks the algorithms option: known, not none, and not
// HMAC mixed with public-key algorithms (the key confusion attack).
func jwtGenericAlgs(o Options) ([]string, bool, error) {
	if len(o.Algorithms) == 0 {
		return nil, false, fmt.Errorf("jwt: option algorithms is required (e.g. [RS256]): %w", ErrConfig)
	}
	hs := 0
	for _, a := range o.Algorithms {
		if !jwtAlgorithms[a] {
			return nil, false, fmt.Errorf("jwt: algorithm %q is not one of HS/RS/PS/ES 256/384/512 or EdDSA: %w", a, ErrConfig)
		}
		if strings.HasPrefix(a, "HS") {
			hs++
		}
	}
	if hs > 0 && hs < len(o.Algorithms) {
		return nil, false, fmt.Errorf("jwt: HMAC and public-key algorithms cannot be mixed: %w", ErrConfig)
	}
	return o.Algorithms, hs > 0, nil
}

func newJWTGeneric(o Options) (*jwtGeneric, error) {
	algs, hmacAlgs, err := jwtGenericAlgs(o)
	if err != nil {
		return nil, err
	}
	header := "Authorization"
	if o.Header != "" {
		if !validHeaderName(o.Header) {
			return nil, fmt.Errorf("jwt: option header %q is not a valid header name: %w", o.Header, ErrConfig)
		}
		header = textproto.CanonicalMIMEHeaderKey(o.Header)
	}
	parse := parseVerifyKey
	if hmacAlgs {
		if o.JWKS != "" || o.JWKSURL != "" {
			return nil, fmt.Errorf("jwt: HS* algorithms take their secrets in secrets, not a JWKS: %w", ErrConfig)
		}
		parse = rawHMACKey
	}
	ks, err := newJWTKeys("jwt", o, algs, "", parse)
	if err != nil {
		return nil, err
	}
	var opts []jwt.ParserOption
	if o.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(o.Issuer))
	}
	if len(o.Audience) > 0 {
		opts = append(opts, jwt.WithAudience(o.Audience...))
	}
	return &jwtGeneric{
		header:   header,
		check:    newJWTCheck("header "+header, algs, ks, opts...),
		bodyHash: o.BodyHashClaim,
		tol:      o.Tolerance,
	}, nil
}

// Verify implements Verifier. exp and nbf are checked when present (with a
// minute of clock skew), iat when present against the tolerance in both
// directions; a token without iat or exp can be replayed, so prefer issuers
// that set them.
func (v *jwtGeneric) Verify(r *Request, now time.Time) (Result, error) {
	tok, err := bearerToken(r, v.header)
	if err != nil {
		return Result{}, err
	}
	claims := jwt.MapClaims{}
	k, err := v.check.parse(tok, claims, now)
	if err != nil {
		return Result{}, err
	}
	if v.bodyHash != "" {
		if err := checkBodyHash(v.check.where, v.bodyHash, claims[v.bodyHash], r.Body); err != nil {
			return Result{}, err
		}
	}
	if err := checkIssuedAt(v.header, claims, now, v.tol, false); err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: k.index}, nil
}

// signJWTGeneric signs with the first algorithm and o.Secrets[0]: the HMAC
// secret for HS*, otherwise a PEM or base64 DER private key.
func signJWTGeneric(r *Request, o Options, now time.Time) error {
	algs, hmacAlgs, err := jwtGenericAlgs(o)
	if err != nil {
		return err
	}
	if len(o.Secrets) == 0 {
		return fmt.Errorf("jwt: Sign needs the signing key in secrets: %w", ErrConfig)
	}
	claims := jwt.MapClaims{"iat": now.Unix()}
	if o.Issuer != "" {
		claims["iss"] = o.Issuer
	}
	if len(o.Audience) > 0 {
		claims["aud"] = o.Audience[0]
	}
	if o.BodyHashClaim != "" {
		sum := sha256.Sum256(r.Body)
		claims[o.BodyHashClaim] = hex.EncodeToString(sum[:])
	}
	var key any
	kid := ""
	if hmacAlgs {
		key = []byte(o.Secrets[0])
	} else {
		sk, err := parseSignKey(o.Secrets[0])
		if err != nil {
			return secretErr("jwt", 0, "%v", err)
		}
		if !keyFitsAlg(sk.Public(), algs[0]) {
			return secretErr("jwt", 0, "is a %T, which cannot sign %s", sk, algs[0])
		}
		key, kid = sk, signerKid(sk)
	}
	tok, err := signToken(algs[0], key, kid, claims)
	if err != nil {
		return fmt.Errorf("jwt: %v: %w", err, ErrConfig)
	}
	header := "Authorization"
	if o.Header != "" {
		header = o.Header
	}
	if strings.EqualFold(header, "Authorization") {
		tok = "Bearer " + tok
	}
	r.Header.Set(header, tok)
	return nil
}

// rawHMACKey is an HS* secret as configured: its bytes are the key. A
// public key (PEM, a JWK, base64 DER) is refused: as an HMAC secret it
// would let anyone who holds it, anyone at all, sign tokens (the key
// confusion attack).
func rawHMACKey(s string) (jwtKey, error) {
	if what := publicKeyForm(s); what != "" {
		return jwtKey{}, fmt.Errorf("is %s, not a shared secret: as an HMAC key for HS* it would let anyone who holds it sign tokens; "+
			"verify with the key's own algorithm (RS*, PS*, ES*, EdDSA), or use a random secret", what)
	}
	return jwtKey{key: []byte(s)}, nil
}

// publicKeyForm says how s is written when it is a public key (or a key
// or certificate in PEM, or a JWK), as parseVerifyKey would read it; ""
// when it is none of these.
func publicKeyForm(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "-----BEGIN"):
		return "a PEM block"
	case strings.HasPrefix(s, "{"):
		var jwk struct {
			Kty string `json:"kty"`
		}
		if json.Unmarshal([]byte(s), &jwk) == nil && jwk.Kty != "" {
			return "a JWK"
		}
	default:
		if der, err := decodeStdBase64(s); err == nil {
			if _, err := x509.ParsePKIXPublicKey(der); err == nil {
				return "a public key in base64 DER"
			}
		}
	}
	return ""
}

// signBodyHash sets header to prefix plus an HS256 token, keyed with
// o.Secrets[0], whose claims are claims and, in hashClaim, the hex SHA-256
// of the body (Netlify's JWS, Vonage's signed webhooks). typ names the
// preset in errors.
func signBodyHash(typ string, r *Request, o Options, header, prefix, hashClaim string, claims jwt.MapClaims) error {
	sum := sha256.Sum256(r.Body)
	claims[hashClaim] = hex.EncodeToString(sum[:])
	tok, err := signToken("HS256", []byte(o.Secrets[0]), "", claims)
	if err != nil {
		return fmt.Errorf("%s: %v: %w", typ, err, ErrConfig)
	}
	r.Header.Set(header, prefix+tok)
	return nil
}
