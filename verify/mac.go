package verify

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"sync"
)

// This file holds the MAC machinery every HMAC scheme shares: how a MAC is
// encoded in a header and decoded from it, the keys, the pooled keyed hash
// states (macSet) and the lists of signatures a header may carry.

// encoding is how a scheme writes a MAC in a header.
type encoding int

const (
	encHex encoding = iota
	encBase64
	// encBase64URL is the URL-safe alphabet, written without padding
	// (Sanity).
	encBase64URL
)

func (e encoding) String() string {
	switch e {
	case encBase64:
		return "base64"
	case encBase64URL:
		return "base64url"
	}
	return "hex"
}

func (e encoding) encode(mac []byte) string {
	switch e {
	case encBase64:
		return base64.StdEncoding.EncodeToString(mac)
	case encBase64URL:
		return base64.RawURLEncoding.EncodeToString(mac)
	}
	return hex.EncodeToString(mac)
}

// rawURLStrict decodes encBase64URL. It is strict: a last character with
// padding bits set would be another string for the same MAC, which Sanity,
// comparing strings, refuses.
var rawURLStrict = base64.RawURLEncoding.Strict()

// maxMACSize is the largest MAC a scheme produces (HMAC-SHA512).
const maxMACSize = sha512.Size

// decodeMAC decodes s, which must encode exactly len(dst) bytes, into dst.
// Hex digits may be of either case; base64 is the standard alphabet (or for
// encBase64URL the URL-safe one) with or without padding. It does not
// allocate.
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
	b64 := base64.RawStdEncoding
	if e == encBase64URL {
		b64 = rawURLStrict
	}
	if b64.EncodedLen(len(dst)) != n {
		return false
	}
	m, err := b64.Decode(dst, src[:n])
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

// macSet computes the MACs of a scheme with each configured key, and is
// how every HMAC scheme tries its secrets in turn (find) and signs (mac). It
// keeps keyed hash states in one pool per key, so a request costs no
// allocation. It is safe for concurrent use.
type macSet struct {
	pools []sync.Pool
	size  int // MAC length in bytes
}

// macState is one keyed HMAC with scratch space for its input and output.
type macState struct {
	h      hash.Hash
	prefix []byte // for a plain hash (newHashSet), the key it starts with
	buf    []byte // scratch space for signed text that is not the body
	out    [maxMACSize]byte
}

// newMACSet returns the HMACs fn keyed with keys.
func newMACSet(keys [][]byte, fn func() hash.Hash) *macSet {
	m := &macSet{pools: make([]sync.Pool, len(keys)), size: fn().Size()}
	for i, k := range keys {
		m.pools[i].New = func() any { return &macState{h: hmac.New(fn, k)} }
	}
	return m
}

// newHashSet returns plain hashes fn that take each key as the start of
// the content: fn(key || content). HubSpot's legacy schemes sign so, in
// place of an HMAC; it is open to length extension.
func newHashSet(keys [][]byte, fn func() hash.Hash) *macSet {
	m := &macSet{pools: make([]sync.Pool, len(keys)), size: fn().Size()}
	for i, k := range keys {
		m.pools[i].New = func() any { return &macState{h: fn(), prefix: k} }
	}
	return m
}

// find returns the index of the first key for which match, given a state
// keyed with it, reports a match, or -1. match writes the signed content
// and compares the sum; it may try several contents (one per signed set or
// URL form), calling the state's reset between them.
func (m *macSet) find(match func(st *macState) bool) int {
	for i := range m.pools {
		st := m.get(i)
		ok := match(st)
		m.put(i, st)
		if ok {
			return i
		}
	}
	return -1
}

// mac returns the MAC with key i of what write feeds the state, encoded
// with enc.
func (m *macSet) mac(i int, enc encoding, write func(st *macState)) string {
	st := m.get(i)
	write(st)
	s := enc.encode(st.sum())
	m.put(i, st)
	return s
}

// get returns a reset state for key i; return it with put.
func (m *macSet) get(i int) *macState {
	st := m.pools[i].Get().(*macState)
	st.reset()
	return st
}

// reset makes st as new: keyed, with nothing written.
func (st *macState) reset() {
	st.h.Reset()
	if st.prefix != nil {
		st.h.Write(st.prefix)
	}
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

// write feeds the strings to the hash, in order, through the scratch
// buffer: converting them to bytes would cost an allocation.
func (st *macState) write(parts ...string) {
	st.buf = st.buf[:0]
	for _, p := range parts {
		st.buf = append(st.buf, p...)
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

// macHashName is the scheme family name of a hash constructor.
func macHashName(fn func() hash.Hash) string {
	switch fn().Size() {
	case md5.Size:
		return "md5"
	case sha1.Size:
		return "sha1"
	case sha512.Size:
		return "sha512"
	default:
		return "sha256"
	}
}
