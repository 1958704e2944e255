package verify

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"time"
)

func init() {
	register(Preset{
		Name:        "calendly",
		Scheme:      "hmac-sha256",
		Description: "Calendly: Calendly-Webhook-Signature t=,v1= over {t}.{body}, signing key raw",
		Headers:     []string{calendlyHeader},
		// The window of Calendly's sample code, as summarised in the
		// shared catalogue (SCHEMES.md); Calendly states no number.
		Tolerance: 3 * time.Minute,
		// No event ID in the body or headers: the body's SHA-256
		// identifies the event.
		EventType: []string{"event"},
		New:       func(o Options) (Verifier, error) { return newCalendly(o), nil },
		Sign: func(r *Request, o Options, now time.Time) error {
			newCalendly(o).sign(r, now)
			return nil
		},
	})
}

const calendlyHeader = "Calendly-Webhook-Signature"

// calendlyVerifier checks Calendly's scheme, Stripe's under another header:
// "t=<unix>,v1=<hex>" carries HMAC-SHA256 over "{t}.{body}".
type calendlyVerifier struct {
	tol  time.Duration
	macs *macSet
}

var _ Verifier = (*calendlyVerifier)(nil)

func newCalendly(o Options) *calendlyVerifier {
	return &calendlyVerifier{tol: o.Tolerance, macs: newMACSet(rawKeys(o.Secrets), sha256.New)}
}

// Verify implements Verifier. The header is parsed as Stripe's is (several
// v1 accepted, unknown pairs ignored); the signature is checked before the
// timestamp, which is checked in both directions.
func (v *calendlyVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s := r.Header.Get(calendlyHeader)
	if s == "" {
		return Result{}, fmt.Errorf("header %s: %w", calendlyHeader, ErrNoSignature)
	}
	sh, err := parseStripe(s)
	if err != nil {
		return Result{}, fmt.Errorf("header %s: %v: %w", calendlyHeader, err, ErrMalformed)
	}
	for i := range v.macs.pools {
		st := v.macs.get(i)
		st.writeParts(sh.t)
		st.h.Write(r.Body)
		ok := sh.v1.match(st.sum())
		v.macs.put(i, st)
		if ok {
			if err := checkTime(calendlyHeader, "t=", sh.ts, now, v.tol); err != nil {
				return Result{}, err
			}
			return Result{SecretIndex: i}, nil
		}
	}
	return Result{}, fmt.Errorf("header %s: no v1 signature matches any of %d secrets: %w", calendlyHeader, len(v.macs.pools), ErrMismatch)
}

func (v *calendlyVerifier) sign(r *Request, now time.Time) {
	t := strconv.FormatInt(now.Unix(), 10)
	st := v.macs.get(0)
	st.writeParts(t)
	st.h.Write(r.Body)
	r.Header.Set(calendlyHeader, "t="+t+",v1="+encHex.encode(st.sum()))
	v.macs.put(0, st)
}
