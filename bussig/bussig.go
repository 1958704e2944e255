// Package bussig signs the messages hookgate publishes on NATS and verifies
// them, with Ed25519: the gateway holds the private key, consumers hold
// only public keys, so a consumer (or anyone else who can publish on the
// subjects) cannot forge an event that another consumer would accept.
//
// The signature travels in the Hookgate-Signature header:
//
//	Hookgate-Signature: t=1733313600,k=Vq3pX0b1aE5Z,v1=<base64 signature>
//
// t is when the gateway signed (unix seconds), k the key ID (see [KeyID]),
// v1 the standard base64 (with padding) of the Ed25519 signature of the
// signed string ([SignedString]):
//
//	hookgate-v1 LF
//	<t> LF
//	<k> LF
//	<Nats-Msg-Id value> LF
//	<subject> LF
//	<one line per header value: lower-case name ":" value LF>
//	LF
//	<body, byte for byte>
//
// The header lines cover every header of the message except Nats-* ones
// (the server's; Nats-Msg-Id has its own line) and Hookgate-Signature
// itself, sorted by lower-case name (bytewise), a name's values in their
// order, each value trimmed of surrounding spaces and tabs (as NATS clients
// send them). Names count without their case, as in HTTP: a reader must
// look them up so (package consume does), and Verify refuses a message
// that holds one name in two spellings. The signing time lets a consumer refuse a captured message
// published again later: the stream records when it stored a message, and
// the gateway signs just before it publishes (see [Verifier.MaxAge]).
//
// bussig imports no other hookgate package. Signers and Verifiers are safe
// for concurrent use.
package bussig

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Header is the name of the header that carries the signature.
const Header = "Hookgate-Signature"

// Version is the first line of the signed string, and the name of the
// signature's part in the header.
const Version = "hookgate-v1"

// HeaderSize is the most a signature adds to a message's header block on
// the wire: the Hookgate-Signature line, with a key ID of at most
// MaxKeyID characters.
const HeaderSize = len(Header) + len(": t=,k=,v1=\r\n") + 20 + MaxKeyID + 88

// MaxKeyID is the longest key ID a signature may carry.
const MaxKeyID = 64

var (
	// ErrUnsigned is returned by [Verifier.Verify] for a message without
	// a Hookgate-Signature header.
	ErrUnsigned = errors.New("bussig: message not signed")
	// ErrMalformed is wrapped when the header cannot be parsed.
	ErrMalformed = errors.New("bussig: malformed signature header")
	// ErrUnknownKey is wrapped when the message was signed with a key the
	// Verifier does not hold.
	ErrUnknownKey = errors.New("bussig: signed with an unknown key")
	// ErrForged is wrapped when the signature does not match the message:
	// it was altered, or not signed by the key it names.
	ErrForged = errors.New("bussig: signature does not match the message")
	// ErrTooOld is wrapped when a message was stored longer after its
	// signing than the Verifier allows: a signed message published again.
	ErrTooOld = errors.New("bussig: message stored too long after it was signed")
	// ErrKey is wrapped by the key loaders and [NewVerifier] for a key
	// file or key that is not an Ed25519 key.
	ErrKey = errors.New("bussig: not an Ed25519 key")
)

// KeyID is the ID of a public key: the first 9 bytes of its SHA-256, in
// unpadded base64url (12 characters). A Verifier picks the key by it, so
// that consumers accept several keys while the gateway's key rotates.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// SignedString returns the bytes that are signed for a message: see the
// package comment. h holds the message's headers as NATS delivers them
// (nats.Header, http.Header and the like).
func SignedString(t int64, keyID, msgID, subject string, h map[string][]string, body []byte) []byte {
	type line struct{ name, value string }
	var lines []line
	size := len(Version) + 20 + len(keyID) + len(msgID) + len(subject) + 8 + len(body)
	for k, vs := range h {
		name := strings.ToLower(k)
		if strings.HasPrefix(name, "nats-") || name == "hookgate-signature" {
			continue
		}
		for _, v := range vs {
			v = strings.Trim(v, " \t")
			lines = append(lines, line{name, v})
			size += len(name) + len(v) + 2
		}
	}
	// Stable: a name's values keep their order. Two names that differ
	// only in case merge in map order; the gateway never sends those.
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].name < lines[j].name })
	b := make([]byte, 0, size)
	b = append(b, Version...)
	b = append(b, '\n')
	b = strconv.AppendInt(b, t, 10)
	b = append(b, '\n')
	b = append(b, keyID...)
	b = append(b, '\n')
	b = append(b, msgID...)
	b = append(b, '\n')
	b = append(b, subject...)
	b = append(b, '\n')
	for _, l := range lines {
		b = append(b, l.name...)
		b = append(b, ':')
		b = append(b, l.value...)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, body...)
}

// Signer signs messages with one private key.
type Signer struct {
	key   ed25519.PrivateKey
	keyID string
	// Now is the clock of the signing time (default time.Now).
	Now func() time.Time
}

// NewSigner returns a Signer for key, whose key ID is that of its public
// key.
func NewSigner(key ed25519.PrivateKey) *Signer {
	return &Signer{key: key, keyID: KeyID(key.Public().(ed25519.PublicKey))}
}

// KeyID returns the ID the Signer's signatures carry.
func (s *Signer) KeyID() string { return s.keyID }

// Public returns the Signer's public key.
func (s *Signer) Public() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// Sign returns the Hookgate-Signature value for a message: h must not
// change before it is published (its Hookgate-Signature, if any, does not
// count).
func (s *Signer) Sign(msgID, subject string, h map[string][]string, body []byte) string {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := now().Unix()
	sig := ed25519.Sign(s.key, SignedString(t, s.keyID, msgID, subject, h, body))
	return "t=" + strconv.FormatInt(t, 10) + ",k=" + s.keyID + ",v1=" + base64.StdEncoding.EncodeToString(sig)
}

// Signature is what a verified signature says.
type Signature struct {
	Time  time.Time // when the gateway signed
	KeyID string
}

// Verifier checks signatures against a set of public keys.
type Verifier struct {
	keys map[string]ed25519.PublicKey
	// MaxAge bounds how long after its signing a message may have been
	// stored (the stored time is given to Verify): a message signed by the
	// gateway and published again by someone else later is refused with
	// ErrTooOld. 0 means DefaultMaxAge; a negative MaxAge turns the check off
	// (for a stream copied from another, whose store times are the
	// copy's).
	MaxAge time.Duration
}

// DefaultMaxAge is Verifier.MaxAge's default, shorter than a stream's
// default duplicate window (2 minutes), which drops most copies before it.
// The gateway signs a message just before it publishes it (a message that
// waited in the outbox while NATS was down is signed when it is finally
// published), and the stream stores it within the publish's timeout.
const DefaultMaxAge = time.Minute

// maxAhead is how far a stored time may be before the signing time
// (clocks of the gateway and the NATS server differ a little).
const maxAhead = time.Minute

// NewVerifier returns a Verifier that accepts signatures by any of keys
// (during a rotation, the old and the new). It returns an error wrapping
// ErrKey when keys is empty or a key is not an Ed25519 public key.
func NewVerifier(keys ...ed25519.PublicKey) (*Verifier, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no public key given", ErrKey)
	}
	v := &Verifier{keys: make(map[string]ed25519.PublicKey, len(keys))}
	for i, k := range keys {
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: public key %d is %d bytes, want %d", ErrKey, i, len(k), ed25519.PublicKeySize)
		}
		v.keys[KeyID(k)] = k
	}
	return v, nil
}

// Verify checks the signature of a message with ID msgID (its Nats-Msg-Id)
// on subject, with headers h and body. stored is when the stream stored
// it (the zero time skips the age check: a core NATS message has none).
// The error wraps ErrUnsigned, ErrMalformed, ErrUnknownKey, ErrForged or
// ErrTooOld.
func (v *Verifier) Verify(msgID, subject string, h map[string][]string, body []byte, stored time.Time) (Signature, error) {
	value, n := headerValue(h)
	switch {
	case n == 0:
		return Signature{}, ErrUnsigned
	case n > 1:
		return Signature{}, fmt.Errorf("%w: %d Hookgate-Signature values, want one", ErrMalformed, n)
	}
	t, keyID, sig, err := parse(value)
	if err != nil {
		return Signature{}, err
	}
	if name, ok := twoCases(h); ok {
		// Which one a reader takes would depend on its lookup: the
		// signature must not cover two readings.
		return Signature{}, fmt.Errorf("%w: header %s appears under two spellings", ErrMalformed, name)
	}
	key, ok := v.keys[keyID]
	if !ok {
		return Signature{}, fmt.Errorf("%w: key ID %q", ErrUnknownKey, keyID)
	}
	if !ed25519.Verify(key, SignedString(t, keyID, msgID, subject, h, body), sig) {
		return Signature{}, fmt.Errorf("%w (key ID %q)", ErrForged, keyID)
	}
	s := Signature{Time: time.Unix(t, 0), KeyID: keyID}
	maxAge := v.MaxAge
	if maxAge == 0 {
		maxAge = DefaultMaxAge
	}
	if !stored.IsZero() && maxAge > 0 {
		if age := stored.Sub(s.Time); age > maxAge+time.Second || age < -maxAhead {
			// (+1 s: t is whole seconds, the stored time is not.)
			return s, fmt.Errorf("%w: signed at %s, stored at %s (at most %s after)", ErrTooOld,
				s.Time.UTC().Format(time.RFC3339), stored.UTC().Format(time.RFC3339), maxAge)
		}
	}
	return s, nil
}

// twoCases returns a header name that h holds in two spellings (names
// differ only in case), if any.
func twoCases(h map[string][]string) (string, bool) {
	seen := make(map[string]bool, len(h))
	for k := range h {
		n := strings.ToLower(k)
		if seen[n] {
			return n, true
		}
		seen[n] = true
	}
	return "", false
}

// headerValue returns the Hookgate-Signature value, matching the name in
// any case, and how many there are.
func headerValue(h map[string][]string) (string, int) {
	var value string
	n := 0
	for k, vs := range h {
		if len(k) == len(Header) && strings.EqualFold(k, Header) {
			n += len(vs)
			if len(vs) > 0 {
				value = vs[0]
			}
		}
	}
	return value, n
}

// parse reads "t=...,k=...,v1=..." in any order; unknown parts are
// ignored (a later version may add some).
func parse(value string) (t int64, keyID string, sig []byte, err error) {
	var haveT bool
	for part := range strings.SplitSeq(strings.TrimSpace(value), ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, "", nil, fmt.Errorf("%w: part %q is not name=value", ErrMalformed, part)
		}
		switch name {
		case "t":
			if t, err = strconv.ParseInt(val, 10, 64); err != nil || t <= 0 {
				return 0, "", nil, fmt.Errorf("%w: t=%q is not a unix time", ErrMalformed, val)
			}
			haveT = true
		case "k":
			keyID = val
		case "v1":
			if sig, err = base64.StdEncoding.DecodeString(val); err != nil || len(sig) != ed25519.SignatureSize {
				return 0, "", nil, fmt.Errorf("%w: v1 is not a base64 Ed25519 signature", ErrMalformed)
			}
		}
	}
	switch {
	case !haveT:
		return 0, "", nil, fmt.Errorf("%w: no t=", ErrMalformed)
	case keyID == "" || len(keyID) > MaxKeyID:
		return 0, "", nil, fmt.Errorf("%w: no k= (or longer than %d)", ErrMalformed, MaxKeyID)
	case sig == nil:
		return 0, "", nil, fmt.Errorf("%w: no v1=", ErrMalformed)
	}
	return t, keyID, sig, nil
}

// LoadPrivateKey reads an Ed25519 private key from a PEM file (PKCS #8,
// "PRIVATE KEY", as `openssl genpkey -algorithm ed25519` and `hookgate
// keygen` write it).
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	return loadKey[ed25519.PrivateKey](path, "PRIVATE KEY", x509.ParsePKCS8PrivateKey)
}

// LoadPublicKey reads an Ed25519 public key from a PEM file (PKIX, "PUBLIC
// KEY", as `openssl pkey -pubout` and `hookgate keygen` write it).
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	return loadKey[ed25519.PublicKey](path, "PUBLIC KEY", x509.ParsePKIXPublicKey)
}

// loadKey reads the PEM block of type typ in the file and parses it into a
// key of type K.
func loadKey[K any](path, typ string, parse func([]byte) (any, error)) (K, error) {
	var none K
	der, err := readPEM(path, typ)
	if err != nil {
		return none, err
	}
	k, err := parse(der)
	if err != nil {
		return none, fmt.Errorf("%w: %s: %w", ErrKey, path, err)
	}
	key, ok := k.(K)
	if !ok {
		return none, fmt.Errorf("%w: %s holds a %T", ErrKey, path, k)
	}
	return key, nil
}

func readPEM(path, typ string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bussig: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%w: %s is not PEM", ErrKey, path)
	}
	if block.Type != typ {
		return nil, fmt.Errorf("%w: %s holds a %q block, want %q", ErrKey, path, block.Type, typ)
	}
	return block.Bytes, nil
}

// MarshalPrivateKey returns key as a PKCS #8 PEM block, and MarshalPublicKey
// a public key as a PKIX one: the files the loaders read.
func MarshalPrivateKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKey: see MarshalPrivateKey.
func MarshalPublicKey(key ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// GenerateKeyFiles makes a new key pair and writes the private key to
// privPath (mode 0600) and the public key to pubPath (mode 0644), PEM
// files the loaders read. It refuses to overwrite either file, and
// leaves neither behind when it fails. It returns the key ID.
func GenerateKeyFiles(privPath, pubPath string) (string, error) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("bussig: %w", err)
	}
	privPEM, err := MarshalPrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("bussig: %w", err)
	}
	pubPEM, err := MarshalPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("bussig: %w", err)
	}
	if err := writeNew(privPath, privPEM, 0o600); err != nil {
		return "", err
	}
	if err := writeNew(pubPath, pubPEM, 0o644); err != nil {
		os.Remove(privPath)
		return "", err
	}
	return KeyID(pub), nil
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("bussig: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("bussig: %w", err)
	}
	return nil
}
