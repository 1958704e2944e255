package verify

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"
)

func init() {
	register(Preset{
		Name:   "ed25519",
		Scheme: "ed25519",
		Description: "Generic Ed25519 signature in one header (options header, prefix, encoding hex/base64, timestamp_header, " +
			`template such as "{timestamp}{body}"); public keys hex, base64 or PEM; Sign takes the 32-byte seed or 64-byte key (hex/base64) or PKCS#8 PEM`,
		Tolerance: ed25519Tolerance,
		Options:   []string{"header", "prefix", "encoding", "timestamp_header", "template"},
		New: func(o Options) (Verifier, error) {
			s, err := ed25519Options(o)
			if err != nil {
				return nil, err
			}
			return newWith(s.verifier)(o)
		},
		Sign: func(r *Request, o Options, now time.Time) error {
			s, err := ed25519Options(o)
			if err != nil {
				return err
			}
			return s.sign(r, o, now)
		},
	})
}

// ed25519Tolerance is the generic ed25519 window when a timestamp_header
// is set.
const ed25519Tolerance = 5 * time.Minute

// parseEd25519Public reads an Ed25519 public key: 64 hex digits, base64 of
// 32 bytes, or PEM PUBLIC KEY. A PEM private key is refused.
func parseEd25519Public(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		k, err := parseVerifyKey(s)
		if err != nil {
			return nil, err
		}
		pub, ok := k.key.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("PEM key is a %T, not Ed25519", k.key)
		}
		return pub, nil
	}
	b, err := decodeKeyBytes(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("not an Ed25519 public key (64 hex digits, base64 of 32 bytes, or PEM)")
	}
	return ed25519.PublicKey(b), nil
}

// parseEd25519Private reads an Ed25519 private key: the 32-byte seed or the
// 64-byte seed-and-public-key form (NaCl, libsodium), in hex or base64, or
// PKCS#8 PEM.
func parseEd25519Private(s string) (ed25519.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		b, _ := pem.Decode([]byte(s))
		if b == nil || b.Type != "PRIVATE KEY" {
			return nil, errors.New("not a PEM PRIVATE KEY block")
		}
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, errors.New("PEM PRIVATE KEY does not parse")
		}
		pk, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PEM key is a %T, not Ed25519", k)
		}
		return pk, nil
	}
	b, err := decodeKeyBytes(s)
	switch {
	case err != nil:
		return nil, errors.New("not hex, base64 or PEM")
	case len(b) == ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case len(b) == ed25519.PrivateKeySize:
		pk := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
		if string(pk[ed25519.SeedSize:]) != string(b[ed25519.SeedSize:]) {
			return nil, errors.New("64-byte key: the public half does not match the seed")
		}
		return pk, nil
	}
	return nil, fmt.Errorf("%d bytes, not a 32-byte seed or a 64-byte private key", len(b))
}

// decodeKeyBytes decodes raw key bytes written in hex (when the text is
// only hex digits of an even length) or standard base64.
func decodeKeyBytes(s string) ([]byte, error) {
	if len(s)%2 == 0 && strings.Trim(s, "0123456789abcdefABCDEF") == "" {
		return hex.DecodeString(s)
	}
	return decodeStdBase64(s)
}

// ed25519Msgs recycles the buffers that hold a signed message: Ed25519
// needs the whole message in one slice. Get one with getMsgBuf.
var ed25519Msgs = sync.Pool{New: func() any { return new([]byte) }}

// getMsgBuf returns an empty message buffer; give it back with putMsgBuf.
func getMsgBuf() *[]byte {
	buf := ed25519Msgs.Get().(*[]byte)
	*buf = (*buf)[:0]
	return buf
}

// putMsgBuf returns buf to the pool, keeping its memory only when it is not
// too large.
func putMsgBuf(buf *[]byte) {
	if cap(*buf) > 64<<10 {
		*buf = nil
	}
	ed25519Msgs.Put(buf)
}

// ed25519Verify reports which key, if any, made sig over msg.
func ed25519Verify(keys []ed25519.PublicKey, msg, sig []byte) (int, bool) {
	for i, k := range keys {
		if ed25519.Verify(k, msg, sig) {
			return i, true
		}
	}
	return 0, false
}

// ed25519Part is one piece of a generic ed25519 template.
type ed25519Part struct {
	lit    string // literal text, when header and kind are empty
	kind   byte   // 'b' body, 't' timestamp, 'h' header
	header string // canonical name, for kind 'h'
}

// parseEd25519Template parses a template made of literal text and the
// placeholders {body}, {timestamp} and {header:Name}. The body must appear
// exactly once, and {timestamp} exactly when a timestamp header is set, so
// that nothing is left unsigned by mistake.
func parseEd25519Template(t string, hasTS bool) ([]ed25519Part, error) {
	var parts []ed25519Part
	bodies, stamps := 0, 0
	for rest := t; rest != ""; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			parts = append(parts, ed25519Part{lit: rest})
			break
		}
		if i > 0 {
			parts = append(parts, ed25519Part{lit: rest[:i]})
		}
		j := strings.IndexByte(rest, '}')
		if j < i {
			return nil, fmt.Errorf("template %q: unclosed {", t)
		}
		name := rest[i+1 : j]
		rest = rest[j+1:]
		switch {
		case name == "body":
			parts = append(parts, ed25519Part{kind: 'b'})
			bodies++
		case name == "timestamp":
			parts = append(parts, ed25519Part{kind: 't'})
			stamps++
		case strings.HasPrefix(name, "header:") && validHeaderName(name[len("header:"):]):
			parts = append(parts, ed25519Part{kind: 'h', header: textproto.CanonicalMIMEHeaderKey(name[len("header:"):])})
		default:
			return nil, fmt.Errorf("template %q: unknown placeholder {%s} (want {body}, {timestamp} or {header:Name})", t, name)
		}
	}
	switch {
	case bodies != 1:
		return nil, fmt.Errorf("template %q must contain {body} exactly once", t)
	case hasTS && stamps == 0:
		return nil, fmt.Errorf("template %q does not sign the timestamp_header; add {timestamp}", t)
	case !hasTS && stamps > 0:
		return nil, fmt.Errorf("template %q uses {timestamp} without timestamp_header", t)
	}
	return parts, nil
}

// ed25519Scheme describes an Ed25519 signature, in one header, of a
// template over the body, optionally with a signed timestamp header of unix
// seconds: Discord's "{timestamp}{body}", Telnyx's "{timestamp}|{body}",
// and the generic ed25519 scheme, which ed25519Options builds from options.
type ed25519Scheme struct {
	name             string // the preset, in errors
	header, tsHeader string // canonical names; tsHeader may be empty
	prefix           string
	enc              encoding
	tmpl             []ed25519Part
	// public parses a configured public key, private the key Sign takes.
	public  func(string) (ed25519.PublicKey, error)
	private func(string) (ed25519.PrivateKey, error)
	// handshake, when not nil, returns the answer to a verified request
	// that is a handshake (Discord's PING), or nil.
	handshake func(body []byte) *Response
}

// timestampBody is the template "{timestamp}{body}".
var timestampBody = []ed25519Part{{kind: 't'}, {kind: 'b'}}

// ed25519Verifier checks an ed25519Scheme with the configured public keys.
// It is safe for concurrent use.
type ed25519Verifier struct {
	s    *ed25519Scheme
	keys []ed25519.PublicKey
	tol  time.Duration
}

var _ Verifier = (*ed25519Verifier)(nil)

// ed25519Options builds the generic scheme from o.
func ed25519Options(o Options) (*ed25519Scheme, error) {
	if o.Header == "" {
		return nil, fmt.Errorf("ed25519: option header is required: %w", ErrConfig)
	}
	s := &ed25519Scheme{name: "ed25519", prefix: o.Prefix, public: parseEd25519Public, private: parseEd25519Private}
	for _, h := range []struct {
		name string
		dst  *string
		opt  string
	}{{o.Header, &s.header, "header"}, {o.TimestampHeader, &s.tsHeader, "timestamp_header"}} {
		if h.name == "" {
			continue
		}
		if !validHeaderName(h.name) {
			return nil, fmt.Errorf("ed25519: option %s %q is not a valid header name: %w", h.opt, h.name, ErrConfig)
		}
		*h.dst = textproto.CanonicalMIMEHeaderKey(h.name)
	}
	if s.tsHeader == "" && o.Tolerance != 0 && o.Tolerance != ed25519Tolerance {
		// prepare sets the default when none is given, so this catches any
		// other tolerance: without a signed timestamp it would silently
		// check nothing.
		return nil, fmt.Errorf("ed25519: a tolerance needs option timestamp_header (a signed timestamp): %w", ErrConfig)
	}
	var err error
	if s.enc, err = encodingOption(o.Encoding); err != nil {
		return nil, fmt.Errorf("ed25519: %v: %w", err, ErrConfig)
	}
	t := o.Template
	if t == "" {
		t = "{body}"
		if s.tsHeader != "" {
			t = "{timestamp}{body}"
		}
	}
	if s.tmpl, err = parseEd25519Template(t, s.tsHeader != ""); err != nil {
		return nil, fmt.Errorf("ed25519: option %v: %w", err, ErrConfig)
	}
	return s, nil
}

// verifier builds the check of s with the public keys in o.Secrets.
func (s *ed25519Scheme) verifier(o Options) (*ed25519Verifier, error) {
	keys, err := parseSecrets(s.name, o.Secrets, s.public)
	if err != nil {
		return nil, err
	}
	return &ed25519Verifier{s: s, keys: keys, tol: o.Tolerance}, nil
}

// message appends the signed content to dst. It reads the headers the
// template names; a missing one is ErrNoSignature.
func (s *ed25519Scheme) message(dst []byte, r *Request, ts string) ([]byte, error) {
	for _, p := range s.tmpl {
		switch p.kind {
		case 'b':
			dst = append(dst, r.Body...)
		case 't':
			dst = append(dst, ts...)
		case 'h':
			h := r.Header.Get(p.header)
			if h == "" {
				return dst, fmt.Errorf("header %s (signed by the template): %w", p.header, ErrNoSignature)
			}
			dst = append(dst, h...)
		default:
			dst = append(dst, p.lit...)
		}
	}
	return dst, nil
}

// Verify implements Verifier. The signature is checked before the
// timestamp, so ErrTooOld and ErrTooNew mean a genuine but replayed or
// mistimed request; the handshake is answered last.
func (v *ed25519Verifier) Verify(r *Request, now time.Time) (Result, error) {
	s := v.s
	var sig, ts string
	var at time.Time
	var err error
	if s.tsHeader != "" {
		sig, ts, at, err = readStamped(r, s.header, s.tsHeader, stampSeconds)
	} else {
		sig, err = requireHeader(r, s.header)
	}
	if err != nil {
		return Result{}, err
	}
	sig, ok := cutPrefixFold(sig, s.prefix)
	if !ok {
		return Result{}, fmt.Errorf("header %s: does not start with %q: %w", s.header, s.prefix, ErrMalformed)
	}
	var raw [ed25519.SignatureSize]byte
	if !decodeMAC(raw[:], sig, s.enc) {
		return Result{}, fmt.Errorf("header %s: not a %s Ed25519 signature: %w", s.header, s.enc, ErrMalformed)
	}
	buf := getMsgBuf()
	defer putMsgBuf(buf)
	msg, err := s.message(*buf, r, ts)
	*buf = msg
	if err != nil {
		return Result{}, err
	}
	i, ok := ed25519Verify(v.keys, msg, raw[:])
	if !ok {
		return Result{}, fmt.Errorf("header %s: signature matches none of %d keys: %w", s.header, len(v.keys), ErrMismatch)
	}
	if s.tsHeader != "" {
		if err := checkWindow("header", s.tsHeader, ts, at, now, v.tol); err != nil {
			return Result{}, err
		}
	}
	res := Result{SecretIndex: i}
	if s.handshake != nil {
		res.Response = s.handshake(r.Body)
	}
	return res, nil
}

// sign sets the signature (and timestamp) headers of s on r, signing at
// time now with the private key in o.Secrets[0].
func (s *ed25519Scheme) sign(r *Request, o Options, now time.Time) error {
	pk, err := s.private(o.Secrets[0])
	if err != nil {
		return secretErr(s.name, 0, "%v", err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	msg, err := s.message(nil, r, ts)
	if err != nil {
		return fmt.Errorf("%s: cannot sign: %v: %w", s.name, err, ErrConfig)
	}
	if s.tsHeader != "" {
		r.Header.Set(s.tsHeader, ts)
	}
	r.Header.Set(s.header, s.prefix+s.enc.encode(ed25519.Sign(pk, msg)))
	return nil
}
