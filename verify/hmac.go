package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/textproto"
	"strings"
	"sync"
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

// encoding is how a scheme writes a MAC in a header.
type encoding int

const (
	encHex encoding = iota
	encBase64
)

func (e encoding) String() string {
	if e == encBase64 {
		return "base64"
	}
	return "hex"
}

func (e encoding) encode(mac []byte) string {
	if e == encBase64 {
		return base64.StdEncoding.EncodeToString(mac)
	}
	return hex.EncodeToString(mac)
}

// maxMACSize is the largest MAC a scheme produces (HMAC-SHA512).
const maxMACSize = sha512.Size

// decodeMAC decodes s, which must encode exactly len(dst) bytes, into dst.
// Hex digits may be of either case; base64 is the standard alphabet with or
// without padding. It does not allocate.
func decodeMAC(dst []byte, s string, e encoding) bool {
	// The decoders take []byte; copying into a stack buffer avoids a heap
	// allocation per request. Anything longer cannot be a valid MAC.
	var src [2 * maxMACSize]byte
	if len(s) > len(src) {
		return false
	}
	n := copy(src[:], s)
	if e == encHex {
		if n != 2*len(dst) {
			return false
		}
		_, err := hex.Decode(dst, src[:n])
		return err == nil
	}
	for n > 0 && src[n-1] == '=' {
		n--
	}
	if base64.RawStdEncoding.EncodedLen(len(dst)) != n {
		return false
	}
	m, err := base64.RawStdEncoding.Decode(dst, src[:n])
	return err == nil && m == len(dst)
}

// rawKeys returns the secrets as HMAC keys, byte for byte.
func rawKeys(secrets []string) [][]byte {
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		keys[i] = []byte(s)
	}
	return keys
}

// macSet computes HMACs with each configured key. It keeps keyed hash states
// in one pool per key, so a request costs no allocation. It is safe for
// concurrent use.
type macSet struct {
	pools []sync.Pool
	size  int // MAC length in bytes
}

// macState is one keyed HMAC with scratch space for its input and output.
type macState struct {
	h   hash.Hash
	buf []byte // signed content that precedes the body
	out [maxMACSize]byte
}

func newMACSet(keys [][]byte, fn func() hash.Hash) *macSet {
	m := &macSet{pools: make([]sync.Pool, len(keys)), size: fn().Size()}
	for i, k := range keys {
		m.pools[i].New = func() any { return &macState{h: hmac.New(fn, k)} }
	}
	return m
}

// get returns a reset state for key i; return it with put.
func (m *macSet) get(i int) *macState {
	st := m.pools[i].Get().(*macState)
	st.h.Reset()
	return st
}

func (m *macSet) put(i int, st *macState) {
	if cap(st.buf) > 4<<10 {
		st.buf = nil // do not pin a buffer grown by one huge header
	}
	m.pools[i].Put(st)
}

// sum returns the MAC of what was written. It is valid until st is put back.
func (st *macState) sum() []byte {
	return st.h.Sum(st.out[:0])
}

// writeParts writes parts joined by '.', followed by a '.', ahead of the body:
// writeParts(id, ts) writes "{id}.{ts}.".
func (st *macState) writeParts(parts ...string) {
	st.buf = st.buf[:0]
	for _, p := range parts {
		st.buf = append(st.buf, p...)
		st.buf = append(st.buf, '.')
	}
	st.h.Write(st.buf)
}

// sigList holds the signatures of a header that carries several (one per
// secret while the provider rotates).
type sigList struct {
	n    int
	sigs [maxSigs][sha256.Size]byte
}

// maxSigs bounds the signatures accepted in one header. Providers send one
// per active secret, so two in practice.
const maxSigs = 8

func (l *sigList) add(s string, e encoding) (ok, full bool) {
	if l.n == maxSigs {
		return false, true
	}
	if !decodeMAC(l.sigs[l.n][:], s, e) {
		return false, false
	}
	l.n++
	return true, false
}

// match reports whether mac equals one of the signatures, comparing in
// constant time.
func (l *sigList) match(mac []byte) bool {
	for i := 0; i < l.n; i++ {
		if hmac.Equal(mac, l.sigs[i][:]) {
			return true
		}
	}
	return false
}

// wideSigList is sigList for signatures of any size up to 64 bytes
// (HMAC-SHA512, Ed25519): those of one header, all of one size.
type wideSigList struct {
	n    int
	sigs [maxSigs][maxMACSize]byte
}

// add decodes s as a signature of size bytes; it reports false when the
// list is full, and ignores s when it does not decode.
func (l *wideSigList) add(s string, size int, e encoding) bool {
	if l.n == maxSigs {
		return false
	}
	if decodeMAC(l.sigs[l.n][:size], s, e) {
		l.n++
	}
	return true
}

// match reports whether mac equals one of the signatures, comparing in
// constant time.
func (l *wideSigList) match(mac []byte) bool {
	for i := 0; i < l.n; i++ {
		if hmac.Equal(mac, l.sigs[i][:len(mac)]) {
			return true
		}
	}
	return false
}

// truncate shortens attacker-controlled text quoted in an error message.
func truncate(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
