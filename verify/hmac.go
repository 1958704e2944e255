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
		New:         func(o Options) (Verifier, error) { return verifier(newHMAC("hmac", o)) },
		Sign:        signHMAC,
	})
}

// verifier converts a constructor's result to the Verifier interface, so an
// error yields a nil interface rather than one holding a nil pointer.
func verifier[V Verifier](v V, err error) (Verifier, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

// hmacVerifier checks a MAC of the raw body carried in one header, as
// "<prefix><encoded MAC>". It backs the generic hmac scheme and the GitHub
// presets.
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

// newHMAC builds the generic scheme from o; typ names it in errors.
func newHMAC(typ string, o Options) (*hmacVerifier, error) {
	header, fn, enc, err := macOptions(typ, o)
	if err != nil {
		return nil, err
	}
	return &hmacVerifier{
		header: header,
		prefix: o.Prefix,
		enc:    enc,
		macs:   newMACSet(rawKeys(o.Secrets), fn),
	}, nil
}

// Verify implements Verifier. The prefix is matched case-insensitively, as
// are hex digits.
func (v *hmacVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	s := r.Header.Get(v.header)
	if s == "" {
		return Result{}, fmt.Errorf("header %s: %w", v.header, ErrNoSignature)
	}
	if len(s) < len(v.prefix) || !strings.EqualFold(s[:len(v.prefix)], v.prefix) {
		return Result{}, fmt.Errorf("header %s: does not start with %q: %w", v.header, v.prefix, ErrMalformed)
	}
	var sig [maxMACSize]byte
	if !decodeMAC(sig[:v.macs.size], s[len(v.prefix):], v.enc) {
		return Result{}, fmt.Errorf("header %s: not a %d-byte %s MAC: %w", v.header, v.macs.size, v.enc, ErrMalformed)
	}
	for i := range v.macs.pools {
		st := v.macs.get(i)
		st.h.Write(r.Body)
		ok := hmac.Equal(st.sum(), sig[:v.macs.size])
		v.macs.put(i, st)
		if ok {
			return Result{SecretIndex: i}, nil
		}
	}
	return Result{}, fmt.Errorf("header %s: signature matches none of %d secrets: %w", v.header, len(v.macs.pools), ErrMismatch)
}

// sign sets the signature header on r with the first secret.
func (v *hmacVerifier) sign(r *Request) {
	st := v.macs.get(0)
	st.h.Write(r.Body)
	r.Header.Set(v.header, v.prefix+v.enc.encode(st.sum()))
	v.macs.put(0, st)
}

func signHMAC(r *Request, o Options, _ time.Time) error {
	v, err := newHMAC("hmac", o)
	if err != nil {
		return err
	}
	v.sign(r)
	return nil
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
