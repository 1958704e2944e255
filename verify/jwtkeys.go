package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Keys of the key-pair and token schemes (Ed25519, ECDSA, JWT, JWS): how a
// configured public key, private key or JWK is written, and which token
// algorithm a key can verify. Errors here are plain details that never quote
// the key; callers wrap them with the secret's index and ErrConfig.

// jwtKey is one verification key of a token scheme.
type jwtKey struct {
	kid     string    // JWK "kid"; "" matches any token kid
	alg     string    // JWK "alg"; "" allows any algorithm the key type fits
	key     any       // *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey or []byte (HMAC)
	index   int       // index in Options.Secrets; 0 for JWKS keys
	expires time.Time // JWK "expired_at" (Plaid); zero: never
}

// minRSABits is the smallest RSA modulus accepted for a verification key.
const minRSABits = 2048

// parseVerifyKey parses a public key written as PEM (PUBLIC KEY, RSA PUBLIC
// KEY or CERTIFICATE), a JWK JSON object, or base64 DER SPKI. A private key
// in any of these forms is refused, so that a receiver is never configured
// with the sender's secret half by mistake.
func parseVerifyKey(s string) (jwtKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		return parseJWK([]byte(s), true)
	}
	if strings.HasPrefix(s, "-----BEGIN") {
		b, rest := pem.Decode([]byte(s))
		if b == nil {
			return jwtKey{}, errors.New("not a valid PEM block")
		}
		if len(strings.TrimSpace(string(rest))) > 0 {
			return jwtKey{}, errors.New("more than one PEM block")
		}
		switch b.Type {
		case "PUBLIC KEY":
			return publicKeyOf(x509.ParsePKIXPublicKey(b.Bytes))
		case "RSA PUBLIC KEY":
			return publicKeyOf(x509.ParsePKCS1PublicKey(b.Bytes))
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return jwtKey{}, errors.New("PEM CERTIFICATE does not parse")
			}
			return publicKeyOf(c.PublicKey, nil)
		}
		if strings.Contains(b.Type, "PRIVATE KEY") {
			return jwtKey{}, errors.New("is a private key; configure the public key")
		}
		return jwtKey{}, errors.New("PEM block is not a PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE")
	}
	der, err := decodeStdBase64(s)
	if err != nil {
		return jwtKey{}, errors.New("not PEM, a JWK or base64 DER")
	}
	if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return jwtKey{}, errors.New("is a private key; configure the public key")
	}
	return publicKeyOf(x509.ParsePKIXPublicKey(der))
}

// publicKeyOf checks a parsed public key and wraps it in a jwtKey.
func publicKeyOf(pub any, err error) (jwtKey, error) {
	if err != nil {
		return jwtKey{}, errors.New("public key does not parse")
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return jwtKey{}, fmt.Errorf("RSA key of %d bits, fewer than %d", k.N.BitLen(), minRSABits)
		}
	case *ecdsa.PublicKey, ed25519.PublicKey:
	default:
		return jwtKey{}, fmt.Errorf("unsupported public key type %T", pub)
	}
	return jwtKey{key: pub}, nil
}

// parseSignKey parses a private key for Sign: PEM (PRIVATE KEY as PKCS#8,
// EC PRIVATE KEY as SEC 1, RSA PRIVATE KEY as PKCS#1) or the same DER in
// base64.
func parseSignKey(s string) (crypto.Signer, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if strings.HasPrefix(s, "-----BEGIN") {
		b, _ := pem.Decode([]byte(s))
		if b == nil {
			return nil, errors.New("not a valid PEM block")
		}
		if !strings.Contains(b.Type, "PRIVATE KEY") {
			return nil, errors.New("PEM block is not a PRIVATE KEY")
		}
		der = b.Bytes
	} else {
		var err error
		if der, err = decodeStdBase64(s); err != nil {
			return nil, errors.New("not PEM or base64 DER")
		}
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if sk, ok := k.(crypto.Signer); ok {
			if ek, ok := sk.(ed25519.PrivateKey); ok {
				return ek, nil // a value, as golang-jwt's EdDSA expects
			}
			return sk, nil
		}
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("not a PKCS#8, SEC 1 or PKCS#1 private key")
}

// parseP256SignKey parses a private key for Sign (see parseSignKey) that
// must be ECDSA P-256.
func parseP256SignKey(s string) (*ecdsa.PrivateKey, error) {
	sk, err := parseSignKey(s)
	if err != nil {
		return nil, err
	}
	k, ok := sk.(*ecdsa.PrivateKey)
	if !ok || k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("is a %T, not an ECDSA P-256 private key", sk)
	}
	return k, nil
}

// decodeStdBase64 decodes standard base64 with or without padding, ignoring
// line breaks and spaces.
func decodeStdBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return nil, errors.New("empty")
	}
	return decodePadless(s)
}

// decodeBase64Key decodes a key written in standard base64, padding
// optional and nothing else around it. An empty key is an error; the
// errors do not quote s.
func decodeBase64Key(s string) ([]byte, error) {
	k, err := decodePadless(s)
	switch {
	case err != nil:
		return nil, errors.New("not base64")
	case len(k) == 0:
		return nil, errors.New("empty key")
	}
	return k, nil
}

// decodePadless decodes standard base64 with or without its padding.
func decodePadless(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// decodeB64URL decodes a base64url JWK member, padding optional.
func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// jwk is the JSON form of a JSON Web Key (RFC 7517) with Plaid's
// expired_at.
type jwk struct {
	Kty       string          `json:"kty"`
	Kid       string          `json:"kid"`
	Alg       string          `json:"alg"`
	Use       string          `json:"use"`
	Crv       string          `json:"crv"`
	N         string          `json:"n"`
	E         string          `json:"e"`
	X         string          `json:"x"`
	Y         string          `json:"y"`
	D         string          `json:"d"`
	ExpiredAt json.RawMessage `json:"expired_at"`
}

// errJWKSkipped marks a JWK that is valid but not for signature
// verification (use "enc"); a JWKS skips it.
var errJWKSkipped = errors.New("JWK is not a signature key")

// parseJWK parses one public JWK: RSA (at least 2048 bits), EC on P-256,
// P-384 or P-521, or OKP Ed25519. Symmetric and private JWKs are refused.
// alone says the JWK was configured by itself, not in a JWKS, so a non-sig
// use is an error rather than a reason to skip it.
func parseJWK(b []byte, alone bool) (jwtKey, error) {
	var j jwk
	if err := json.Unmarshal(b, &j); err != nil {
		return jwtKey{}, errors.New("JWK is not a JSON object of strings")
	}
	k := jwtKey{kid: j.Kid, alg: j.Alg}
	if j.Use != "" && j.Use != "sig" {
		if alone {
			return k, errors.New("JWK use is not sig")
		}
		return k, errJWKSkipped
	}
	if j.D != "" {
		return k, errors.New("JWK holds a private key; configure the public key")
	}
	if len(j.ExpiredAt) > 0 && string(j.ExpiredAt) != "null" {
		var sec float64
		if err := json.Unmarshal(j.ExpiredAt, &sec); err != nil || sec < 0 || sec > 1<<40 {
			return k, errors.New("JWK expired_at is not unix seconds")
		}
		k.expires = time.Unix(int64(sec), 0)
	}
	switch j.Kty {
	case "RSA":
		n, err1 := decodeB64URL(j.N)
		e, err2 := decodeB64URL(j.E)
		if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			return k, errors.New("RSA JWK n or e is not base64url of a valid size")
		}
		ev := int(new(big.Int).SetBytes(e).Int64())
		if ev < 3 || ev%2 == 0 {
			return k, errors.New("RSA JWK exponent is invalid")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: ev}
		if pub.N.BitLen() < minRSABits {
			return k, fmt.Errorf("RSA JWK of %d bits, fewer than %d", pub.N.BitLen(), minRSABits)
		}
		k.key = pub
	case "EC":
		var curve elliptic.Curve
		switch j.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return k, errors.New("EC JWK curve is not P-256, P-384 or P-521")
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err1 := decodeB64URL(j.X)
		y, err2 := decodeB64URL(j.Y)
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return k, fmt.Errorf("EC JWK x or y is not base64url of %d bytes", size)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return k, errors.New("EC JWK point is not on the curve")
		}
		k.key = pub
	case "OKP":
		x, err := decodeB64URL(j.X)
		if j.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			return k, errors.New("OKP JWK is not a base64url Ed25519 public key")
		}
		k.key = ed25519.PublicKey(x)
	case "oct":
		return k, errors.New("symmetric JWK refused: a JWKS holds public keys")
	default:
		return k, errors.New("JWK kty is not RSA, EC or OKP")
	}
	if k.alg != "" && !keyFitsAlg(k.key, k.alg) {
		return k, errors.New("JWK alg does not fit its key type")
	}
	return k, nil
}

// jwtAlgorithms are the token algorithms a scheme may pin. "none" is not
// one of them.
var jwtAlgorithms = map[string]bool{
	"HS256": true, "HS384": true, "HS512": true,
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

// keyFitsAlg reports whether key can verify tokens signed with alg.
func keyFitsAlg(key any, alg string) bool {
	switch k := key.(type) {
	case []byte:
		return strings.HasPrefix(alg, "HS") && jwtAlgorithms[alg]
	case *rsa.PublicKey:
		return (strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")) && jwtAlgorithms[alg]
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve == elliptic.P256()
		case "ES384":
			return k.Curve == elliptic.P384()
		case "ES512":
			return k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// jwkThumbprint returns the RFC 7638 SHA-256 thumbprint of a public key,
// base64url: the kid that Sign puts in the tokens it makes.
func jwkThumbprint(pub crypto.PublicKey) string {
	b64 := base64.RawURLEncoding.EncodeToString
	var s string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		s = `{"e":"` + b64(big.NewInt(int64(k.E)).Bytes()) + `","kty":"RSA","n":"` + b64(k.N.Bytes()) + `"}`
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		pt, err := k.Bytes()
		if err != nil {
			return ""
		}
		s = `{"crv":"` + k.Curve.Params().Name + `","kty":"EC","x":"` + b64(pt[1:1+size]) + `","y":"` + b64(pt[1+size:]) + `"}`
	case ed25519.PublicKey:
		s = `{"crv":"Ed25519","kty":"OKP","x":"` + b64(k) + `"}`
	default:
		return ""
	}
	sum := sha256.Sum256([]byte(s))
	return b64(sum[:])
}
