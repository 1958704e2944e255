package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// This file holds a MAC of a timestamp header and the body (stampMAC), and
// the query helpers of the handshakes. A MAC of the body alone is a bodyMAC
// (hmac.go); Stripe-style "t=,v1=" headers are kvScheme's (kvscheme.go).

// stampMAC describes a provider that sends the MAC of
// "<before><timestamp header><sep><body>" in one header and the timestamp in
// another (Customer.io, Frame.io, Webflow, Zendesk).
type stampMAC struct {
	name      string
	aliases   []string
	sigHeader string
	tsHeader  string
	sigPrefix string // before the encoded MAC in sigHeader, such as "v0="
	before    string // signed ahead of the timestamp, such as "v0:"
	sep       string // signed between the timestamp and the body
	enc       encoding
	unit      stampUnit
	tolerance time.Duration // 0 for stampOpaque
	desc      string
	eventID   string
	eventType []string
}

// stampVerifier checks a stampMAC scheme.
type stampVerifier struct {
	s    stampMAC
	sig  string // canonical header names
	ts   string
	tol  time.Duration
	macs *macSet
}

var _ Verifier = (*stampVerifier)(nil)

func (s stampMAC) build(o Options) *stampVerifier {
	return &stampVerifier{
		s:    s,
		sig:  textproto.CanonicalMIMEHeaderKey(s.sigHeader),
		ts:   textproto.CanonicalMIMEHeaderKey(s.tsHeader),
		tol:  o.Tolerance,
		macs: newMACSet(rawKeys(o.Secrets), sha256.New),
	}
}

func (s stampMAC) preset() Preset {
	return Preset{
		Name:        s.name,
		Aliases:     s.aliases,
		Scheme:      "hmac-sha256",
		Description: s.desc,
		Headers:     []string{s.sigHeader, s.tsHeader},
		Tolerance:   s.tolerance,
		EventID:     s.eventID,
		EventType:   s.eventType,
		New:         func(o Options) (Verifier, error) { return s.build(o), nil },
		Sign: func(r *Request, o Options, now time.Time) error {
			s.build(o).sign(r, now)
			return nil
		},
	}
}

// Verify implements Verifier. The signature is checked before the timestamp,
// so ErrTooOld and ErrTooNew mean a genuine but replayed or mistimed event.
func (v *stampVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s := r.Header.Get(v.sig)
	if s == "" {
		return Result{}, fmt.Errorf("header %s: %w", v.sig, ErrNoSignature)
	}
	t := r.Header.Get(v.ts)
	if t == "" {
		return Result{}, fmt.Errorf("header %s: %w", v.ts, ErrNoSignature)
	}
	var at time.Time
	if v.s.unit != stampOpaque {
		var err error
		if at, err = v.s.unit.read("header", v.ts, t); err != nil {
			return Result{}, err
		}
	}
	if len(s) < len(v.s.sigPrefix) || !strings.EqualFold(s[:len(v.s.sigPrefix)], v.s.sigPrefix) {
		return Result{}, fmt.Errorf("header %s: does not start with %q: %w", v.sig, v.s.sigPrefix, ErrMalformed)
	}
	var sig [maxMACSize]byte
	if !decodeMAC(sig[:v.macs.size], s[len(v.s.sigPrefix):], v.s.enc) {
		return Result{}, fmt.Errorf("header %s: not a %d-byte %s MAC: %w", v.sig, v.macs.size, v.s.enc, ErrMalformed)
	}
	for i := range v.macs.pools {
		st := v.macs.get(i)
		v.write(st, t, r.Body)
		ok := hmac.Equal(st.sum(), sig[:v.macs.size])
		v.macs.put(i, st)
		if ok {
			if v.s.unit != stampOpaque {
				if err := checkWindow("header", v.ts, t, at, now, v.tol); err != nil {
					return Result{}, err
				}
			}
			return Result{SecretIndex: i}, nil
		}
	}
	return Result{}, fmt.Errorf("header %s: signature matches none of %d secrets: %w", v.sig, len(v.macs.pools), ErrMismatch)
}

// write feeds the signed content to st.
func (v *stampVerifier) write(st *macState, t string, body []byte) {
	st.buf = append(append(append(st.buf[:0], v.s.before...), t...), v.s.sep...)
	st.h.Write(st.buf)
	st.h.Write(body)
}

func (v *stampVerifier) sign(r *Request, now time.Time) {
	t := v.s.unit.format(now)
	st := v.macs.get(0)
	v.write(st, t, r.Body)
	r.Header.Set(v.sig, v.s.sigPrefix+v.s.enc.encode(st.sum()))
	r.Header.Set(v.ts, t)
	v.macs.put(0, st)
}

// queryValue returns the query parameter name of the request URL rawURL.
// An unparsable URL has no parameters.
func queryValue(rawURL, name string) string {
	_, q, ok := strings.Cut(rawURL, "?")
	if !ok {
		return ""
	}
	q, _, _ = strings.Cut(q, "#")
	vals, err := url.ParseQuery(q)
	if err != nil {
		return ""
	}
	return vals.Get(name)
}

// maxChallenge bounds a challenge echoed back in a handshake, so the
// endpoint cannot be used to reflect large attacker-chosen content.
const maxChallenge = 512

// challengeEcho answers a GET handshake that echoes the query parameter
// param as text/plain (Dropbox, Nylas). The challenge is not signed, and the
// answer discloses nothing.
func challengeEcho(r *Request, param string) (Result, error) {
	c := queryValue(r.URL, param)
	switch {
	case c == "":
		return Result{}, fmt.Errorf("GET without query parameter %s: %w", param, ErrNoSignature)
	case len(c) > maxChallenge:
		return Result{}, fmt.Errorf("query parameter %s: %d bytes, at most %d: %w", param, len(c), maxChallenge, ErrMalformed)
	}
	return handshake(&Response{ContentType: "text/plain; charset=utf-8", Body: []byte(c)}), nil
}

// errNoRequestURL is returned when a scheme that signs the URL gets a request
// without one.
var errNoRequestURL = errors.New("the request has no URL")
