package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/textproto"
	"time"
)

// stampMAC describes a provider that sends the HMAC-SHA256 of
// "<before><timestamp header><sep><body>" in one header and the timestamp in
// another: Slack's "v0:{ts}:{body}", which Zoom and Frame.io copy,
// Customer.io, Webflow and Zendesk. Such a provider is its data and a
// register call (see frameio.go).
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
	tolerance time.Duration // 0: no window (stampOpaque, or Zendesk's RFC 3339)
	desc      string
	eventID   string
	eventType []string
	// handshake, when not nil, is called for a verified request and may
	// return the answer to a handshake that the provider signs like any
	// other request (Slack's url_verification, Zoom's
	// endpoint.url_validation); i is the secret that matched.
	handshake func(v *stampVerifier, body []byte, i int) (*Response, error)
	// identify, when not nil, is called for a verified request that is not
	// a handshake and returns res with the event's ID, type and payload set
	// where it finds them.
	identify func(body []byte, res Result) Result
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

func (s stampMAC) build(o Options) (*stampVerifier, error) {
	return &stampVerifier{
		s:    s,
		sig:  textproto.CanonicalMIMEHeaderKey(s.sigHeader),
		ts:   textproto.CanonicalMIMEHeaderKey(s.tsHeader),
		tol:  o.Tolerance,
		macs: newMACSet(rawKeys(o.Secrets), sha256.New),
	}, nil
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
		New:         newWith(s.build),
		Sign:        signWith(s.build),
	}
}

// Verify implements Verifier. The signature is checked before the timestamp,
// so ErrTooOld and ErrTooNew mean a genuine but replayed or mistimed event;
// the handshake is answered last.
func (v *stampVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s, t, at, err := readStamped(r, v.sig, v.ts, v.s.unit)
	if err != nil {
		return Result{}, err
	}
	var sig [maxMACSize]byte
	if err := readMAC(sig[:v.macs.size], v.sig, s, v.s.sigPrefix, v.s.enc); err != nil {
		return Result{}, err
	}
	i := v.macs.find(func(st *macState) bool {
		v.write(st, t, r.Body)
		return hmac.Equal(st.sum(), sig[:v.macs.size])
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: signature matches none of %d secrets: %w", v.sig, len(v.macs.pools), ErrMismatch)
	}
	if v.s.tolerance > 0 {
		if err := checkWindow("header", v.ts, t, at, now, v.tol); err != nil {
			return Result{}, err
		}
	}
	res := Result{SecretIndex: i}
	if v.s.handshake != nil {
		resp, err := v.s.handshake(v, r.Body, i)
		if err != nil {
			return Result{}, err
		}
		res.Response = resp
	}
	if res.Response == nil && v.s.identify != nil {
		res = v.s.identify(r.Body, res)
	}
	return res, nil
}

// write feeds the signed content to st.
func (v *stampVerifier) write(st *macState, t string, body []byte) {
	st.write(v.s.before, t, v.s.sep)
	st.h.Write(body)
}

func (v *stampVerifier) sign(r *Request, now time.Time) error {
	t := v.s.unit.format(now)
	r.Header.Set(v.sig, v.s.sigPrefix+v.macs.mac(0, v.s.enc, func(st *macState) { v.write(st, t, r.Body) }))
	r.Header.Set(v.ts, t)
	return nil
}
