package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// HubSpot batches up to 100 events in one JSON array, each with its own
// eventId and an attemptNumber that grows on every retry, so no one field
// identifies a delivery: the presets leave the event ID to the body's
// SHA-256 (an identical resend is dropped; a retry is forwarded again, and
// consumers dedupe on eventId) and take the type from the first event.
var hubspotEventType = []string{"0.subscriptionType"}

func init() {
	register(Preset{
		Name:        "hubspot-v3",
		Aliases:     []string{"hubspot"},
		Scheme:      "hmac-sha256",
		Description: "HubSpot v3: X-HubSpot-Signature-v3 base64 over {METHOD}{URL}{body}{X-HubSpot-Request-Timestamp ms}, client secret raw",
		Headers:     []string{"X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp"},
		Tolerance:   5 * time.Minute,
		EventType:   hubspotEventType,
		Options:     []string{"public_url"},
		New:         newWith(newHubSpotV3),
		Sign:        signWith(newHubSpotV3),
	})
	register(hubspotLegacyPreset("hubspot-v1", "HubSpot v1 (legacy): X-HubSpot-Signature hex plain SHA-256 (not HMAC) of {secret}{body}", nil))
	register(hubspotLegacyPreset("hubspot-v2", "HubSpot v2 (legacy): X-HubSpot-Signature hex plain SHA-256 (not HMAC) of {secret}{METHOD}{URL}{body}", []string{"public_url"}))
}

// HubSpot's header names in canonical form, so that looking them up does
// not allocate; Preset.Headers spells them as HubSpot does.
const (
	hubspotV3Header      = "X-Hubspot-Signature-V3"
	hubspotTSHeader      = "X-Hubspot-Request-Timestamp"
	hubspotLegacyHeader  = "X-Hubspot-Signature"
	hubspotVersionHeader = "X-Hubspot-Signature-Version"
)

// hubspotV3 checks HubSpot's v3 scheme: base64 HMAC-SHA256, keyed with the
// app's client secret, over method, full URL, body and the timestamp
// header, in milliseconds, as sent.
type hubspotV3 struct {
	base string // scheme://host[:port] from public_url, or ""
	tol  time.Duration
	macs *macSet
}

var _ Verifier = (*hubspotV3)(nil)

func newHubSpotV3(o Options) (*hubspotV3, error) {
	base, err := parsePublicBase("hubspot-v3", o.PublicURL)
	if err != nil {
		return nil, err
	}
	return &hubspotV3{base: base, tol: o.Tolerance, macs: newMACSet(rawKeys(o.Secrets), sha256.New)}, nil
}

// Verify implements Verifier. HubSpot's instructions decode a set of
// percent-escapes in the URL before signing (hubspotDecodeURI); the URL is
// tried decoded, then as received. The signature is checked before the
// timestamp, which is checked in both directions (HubSpot's SDKs check
// only the past).
func (v *hubspotV3) Verify(r *Request, now time.Time) (Result, error) {
	s, t, at, err := readStamped(r, hubspotV3Header, hubspotTSHeader, stampMillis)
	if err != nil {
		return Result{}, err
	}
	var sig [sha256.Size]byte
	if err := readMAC(sig[:], hubspotV3Header, s, "", encBase64); err != nil {
		return Result{}, err
	}
	u, err := checkedURL(r, v.base, hubspotV3Header)
	if err != nil {
		return Result{}, err
	}
	urls := [2]string{hubspotDecodeURI(u), u}
	if urls[0] == urls[1] {
		urls[1] = ""
	}
	method := signedMethod(r)
	i := v.macs.find(func(st *macState) bool {
		for _, u := range urls {
			if u == "" {
				break
			}
			st.reset()
			writeHubSpotV3(st, method, u, r.Body, t)
			if hmac.Equal(st.sum(), sig[:]) {
				return true
			}
		}
		return false
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: signature over %s %s matches none of %d secrets: %w", hubspotV3Header, method, quoteURL(u), len(v.macs.pools), ErrMismatch)
	}
	if err := checkWindow("header", hubspotTSHeader, t, at, now, v.tol); err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: i}, nil
}

// writeHubSpotV3 feeds st the signed content: method, URL, body and
// timestamp, concatenated.
func writeHubSpotV3(st *macState, method, u string, body []byte, t string) {
	st.write(method, u)
	st.h.Write(body)
	st.write(t)
}

func (v *hubspotV3) sign(r *Request, now time.Time) error {
	u, err := signingURL(r, v.base, "hubspot-v3")
	if err != nil {
		return err
	}
	t := strconv.FormatInt(now.UnixMilli(), 10)
	sig := v.macs.mac(0, encBase64, func(st *macState) { writeHubSpotV3(st, signedMethod(r), hubspotDecodeURI(u), r.Body, t) })
	r.Header.Set(hubspotTSHeader, t)
	r.Header.Set(hubspotV3Header, sig)
	return nil
}

// signedMethod is r.Method, POST when empty.
func signedMethod(r *Request) string {
	if r.Method == "" {
		return "POST"
	}
	return r.Method
}

// hubspotDecodeURI decodes the percent-escapes that HubSpot's v3
// instructions list (":", "/", "?", "@", "!", "$", "'", "(", ")", "*", ",",
// ";"), in either case of hex digit, and leaves every other escape as it is.
func hubspotDecodeURI(u string) string {
	i := strings.IndexByte(u, '%')
	if i < 0 {
		return u
	}
	var b strings.Builder
	b.Grow(len(u))
	b.WriteString(u[:i])
	for ; i < len(u); i++ {
		if u[i] == '%' && i+2 < len(u) {
			if c, ok := hubspotUnescape(u[i+1], u[i+2]); ok {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(u[i])
	}
	return b.String()
}

func hubspotUnescape(hi, lo byte) (byte, bool) {
	h, ok1 := hubspotUnhex(hi)
	l, ok2 := hubspotUnhex(lo)
	if !ok1 || !ok2 {
		return 0, false
	}
	c := h<<4 | l
	return c, strings.IndexByte(":/?@!$'()*,;", c) >= 0
}

func hubspotUnhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hubspotLegacyPreset builds the v1 or v2 preset. Both are a plain SHA-256
// with the secret inside the hashed string, open to length extension of
// the body; prefer v3, which HubSpot sends alongside.
func hubspotLegacyPreset(name, desc string, options []string) Preset {
	version := name[len("hubspot-"):]
	build := func(o Options) (*hubspotLegacy, error) {
		base, err := parsePublicBase(name, o.PublicURL)
		if err != nil {
			return nil, err
		}
		return &hubspotLegacy{version: version, base: base, hashes: newHashSet(rawKeys(o.Secrets), sha256.New)}, nil
	}
	return Preset{
		Name:        name,
		Scheme:      "sha256",
		Description: desc,
		Headers:     []string{"X-HubSpot-Signature", "X-HubSpot-Signature-Version"},
		EventType:   hubspotEventType,
		Options:     options,
		New:         newWith(build),
		Sign:        signWith(build),
	}
}

// hubspotLegacy checks HubSpot's v1 or v2 scheme: the hex SHA-256 of the
// client secret followed by the body (v1), or by method, URL and body (v2).
// X-HubSpot-Signature-Version must name the version.
type hubspotLegacy struct {
	version string  // "v1" or "v2"
	base    string  // v2: scheme://host[:port] from public_url, or ""
	hashes  *macSet // plain SHA-256 of the secret and the content
}

var _ Verifier = (*hubspotLegacy)(nil)

// Verify implements Verifier.
func (v *hubspotLegacy) Verify(r *Request, _ time.Time) (Result, error) {
	s, err := requireHeader(r, hubspotLegacyHeader)
	if err != nil {
		return Result{}, err
	}
	ver, err := requireHeader(r, hubspotVersionHeader)
	if err != nil {
		return Result{}, err
	}
	if !strings.EqualFold(ver, v.version) {
		return Result{}, fmt.Errorf("header %s: %q, and this preset checks %s: %w", hubspotVersionHeader, truncate(ver), v.version, ErrMalformed)
	}
	var sig [sha256.Size]byte
	if !decodeMAC(sig[:], s, encHex) {
		return Result{}, fmt.Errorf("header %s: not a hex SHA-256: %w", hubspotLegacyHeader, ErrMalformed)
	}
	var u string
	if v.version == "v2" {
		if u, err = checkedURL(r, v.base, hubspotLegacyHeader); err != nil {
			return Result{}, err
		}
	}
	i := v.hashes.find(func(st *macState) bool {
		v.write(st, r, u)
		return hmac.Equal(st.sum(), sig[:])
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: hash matches none of %d secrets: %w", hubspotLegacyHeader, len(v.hashes.pools), ErrMismatch)
	}
	return Result{SecretIndex: i}, nil
}

// write feeds st, which has hashed the secret, the rest of the signed
// content: the body (v1), or method, URL and body (v2).
func (v *hubspotLegacy) write(st *macState, r *Request, u string) {
	if v.version == "v2" {
		st.write(signedMethod(r), u)
	}
	st.h.Write(r.Body)
}

func (v *hubspotLegacy) sign(r *Request, _ time.Time) error {
	var u string
	if v.version == "v2" {
		var err error
		if u, err = signingURL(r, v.base, "hubspot-v2"); err != nil {
			return err
		}
	}
	r.Header.Set(hubspotVersionHeader, v.version)
	r.Header.Set(hubspotLegacyHeader, v.hashes.mac(0, encHex, func(st *macState) { v.write(st, r, u) }))
	return nil
}
