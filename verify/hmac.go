package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"net/textproto"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:        "hmac",
		Scheme:      "hmac",
		Description: "Generic HMAC over the raw body in one header (options header, prefix, algorithm, encoding)",
		Options:     []string{"header", "prefix", "algorithm", "encoding"},
		New:         newWith(newHMAC),
		Sign:        signWith(newHMAC),
	})
}

// bodyMAC describes a scheme that sends "<prefix><MAC of the raw body>" in
// one header, with nothing timed: replays are caught by the event ID (or,
// where the provider sends none, by the SHA-256 of the body). It is the one
// builder of that construction: the generic hmac scheme, GitHub, Meta,
// Linear's signature and every provider that is only data (bodysig.go,
// vercel.go, ...) are built from one.
type bodyMAC struct {
	name    string
	aliases []string
	header  string
	// alt, when set, is a second header carrying the same signature, read
	// when header is absent: Shopify's Events deliveries drop the X-
	// prefix, and Forgejo also sends Gitea's header.
	alt       string
	prefix    string
	hash      func() hash.Hash
	enc       encoding
	desc      string
	eventID   string
	eventType []string
	options   []string // Preset.Options: the optional fields wrap reads
	methods   []string
	// key turns a configured secret into the HMAC key; nil uses it byte
	// for byte.
	key func(secret string) ([]byte, error)
	// wrap, when set, adds a handshake around the MAC check. A scheme has
	// wrap or alt, not both.
	wrap func(v *hmacVerifier, o Options) Verifier
}

func (b bodyMAC) preset() Preset {
	if b.wrap != nil && b.alt != "" {
		panic("verify: preset " + b.name + " has both wrap and alt")
	}
	headers := []string{b.header}
	if b.alt != "" {
		headers = append(headers, b.alt)
	}
	return Preset{
		Name:        b.name,
		Aliases:     b.aliases,
		Scheme:      "hmac-" + macHashName(b.hash),
		Description: b.desc,
		Headers:     headers,
		EventID:     b.eventID,
		EventType:   b.eventType,
		Options:     b.options,
		Methods:     b.methods,
		New:         b.verifier,
		Sign:        signWith(b.build),
	}
}

// build returns the MAC check of b's header for o's secrets.
func (b bodyMAC) build(o Options) (*hmacVerifier, error) {
	keys := rawKeys(o.Secrets)
	if b.key != nil {
		var err error
		if keys, err = parseSecrets(b.name, o.Secrets, b.key); err != nil {
			return nil, err
		}
	}
	return &hmacVerifier{
		header: textproto.CanonicalMIMEHeaderKey(b.header),
		prefix: b.prefix,
		enc:    b.enc,
		macs:   newMACSet(keys, b.hash),
	}, nil
}

// verifier is b's Preset.New: the MAC check, with its second header or its
// handshake.
func (b bodyMAC) verifier(o Options) (Verifier, error) {
	v, err := b.build(o)
	switch {
	case err != nil:
		return nil, err
	case b.alt != "":
		alt := *v // shares the pooled MAC states
		alt.header = textproto.CanonicalMIMEHeaderKey(b.alt)
		return &altHeaderVerifier{main: v, alt: &alt}, nil
	case b.wrap != nil:
		return b.wrap(v, o), nil
	}
	return v, nil
}

// hmacVerifier checks a MAC of the raw body carried in one header, as
// "<prefix><encoded MAC>": the check a bodyMAC builds.
type hmacVerifier struct {
	header string // canonical header name
	prefix string
	enc    encoding
	macs   *macSet
}

var _ Verifier = (*hmacVerifier)(nil)

// macOptions checks the options the generic MAC schemes share (header,
// algorithm, encoding) and returns the canonical header, the hash and the
// encoding; typ names the scheme in errors.
func macOptions(typ string, o Options) (string, func() hash.Hash, encoding, error) {
	if o.Header == "" {
		return "", nil, 0, fmt.Errorf("%s: option header is required: %w", typ, ErrConfig)
	}
	if !validHeaderName(o.Header) {
		return "", nil, 0, fmt.Errorf("%s: option header %q is not a valid header name: %w", typ, o.Header, ErrConfig)
	}
	fn, err := hashOption(o.Algorithm)
	if err != nil {
		return "", nil, 0, fmt.Errorf("%s: %v: %w", typ, err, ErrConfig)
	}
	enc, err := encodingOption(o.Encoding)
	if err != nil {
		return "", nil, 0, fmt.Errorf("%s: %v: %w", typ, err, ErrConfig)
	}
	return textproto.CanonicalMIMEHeaderKey(o.Header), fn, enc, nil
}

// newHMAC builds the generic hmac scheme from o.
func newHMAC(o Options) (*hmacVerifier, error) {
	header, fn, enc, err := macOptions("hmac", o)
	if err != nil {
		return nil, err
	}
	return bodyMAC{name: "hmac", header: header, prefix: o.Prefix, hash: fn, enc: enc}.build(o)
}

// Verify implements Verifier. The prefix is matched case-insensitively, as
// are hex digits.
func (v *hmacVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	s, err := requireHeader(r, v.header)
	if err != nil {
		return Result{}, err
	}
	var sig [maxMACSize]byte
	if err := readMAC(sig[:v.macs.size], v.header, s, v.prefix, v.enc); err != nil {
		return Result{}, err
	}
	i := v.macs.find(func(st *macState) bool {
		st.h.Write(r.Body)
		return hmac.Equal(st.sum(), sig[:v.macs.size])
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: signature matches none of %d secrets: %w", v.header, len(v.macs.pools), ErrMismatch)
	}
	return Result{SecretIndex: i}, nil
}

// sign sets the signature header on r with the first secret.
func (v *hmacVerifier) sign(r *Request, _ time.Time) error {
	r.Header.Set(v.header, v.prefix+v.macs.mac(0, v.enc, func(st *macState) { st.h.Write(r.Body) }))
	return nil
}

// altHeaderVerifier reads the signature from main's header, or from alt's
// when main's is absent. A wrong signature in main's header is not rescued
// by a right one in alt's.
type altHeaderVerifier struct {
	main, alt *hmacVerifier
}

var _ Verifier = (*altHeaderVerifier)(nil)

// Verify implements Verifier. A missing signature is reported under both
// header names.
func (v *altHeaderVerifier) Verify(r *Request, now time.Time) (Result, error) {
	switch {
	case r.Header.Get(v.main.header) != "":
		return v.main.Verify(r, now)
	case r.Header.Get(v.alt.header) != "":
		return v.alt.Verify(r, now)
	}
	return Result{}, fmt.Errorf("header %s (or %s): %w", v.main.header, v.alt.header, ErrNoSignature)
}

// hashOption returns the hash of an algorithm option: sha1, sha256 (the
// default) or sha512, in any case.
func hashOption(alg string) (func() hash.Hash, error) {
	switch strings.ToLower(alg) {
	case "sha256", "":
		return sha256.New, nil
	case "sha1":
		return sha1.New, nil
	case "sha512":
		return sha512.New, nil
	}
	return nil, fmt.Errorf("option algorithm %q is not sha1, sha256 or sha512", alg)
}

// encodingOption returns the MAC encoding of an encoding option: hex (the
// default) or base64, in any case.
func encodingOption(enc string) (encoding, error) {
	switch strings.ToLower(enc) {
	case "hex", "":
		return encHex, nil
	case "base64":
		return encBase64, nil
	}
	return 0, fmt.Errorf("option encoding %q is not hex or base64", enc)
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
