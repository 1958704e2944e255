package verify

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:        "stripe",
		Scheme:      "hmac-sha256",
		Description: "Stripe: Stripe-Signature t=,v1= over {t}.{body}, whsec_ secret used verbatim",
		Headers:     []string{stripeHeader},
		Tolerance:   5 * time.Minute,
		EventID:     "id",
		EventType:   []string{"type"},
		New:         func(o Options) (Verifier, error) { return verifier(newStripe(o)) },
		Sign: func(r *Request, o Options, now time.Time) error {
			v, err := newStripe(o)
			if err != nil {
				return err
			}
			v.sign(r, now)
			return nil
		},
	})
}

const stripeHeader = "Stripe-Signature"

// stripeVerifier checks Stripe's scheme: the header
// "t=<unix>,v1=<hex>[,v1=<hex>...]" carries HMAC-SHA256 over "{t}.{body}",
// keyed with the whole secret, whsec_ prefix included.
type stripeVerifier struct {
	tol  time.Duration
	macs *macSet
}

var _ Verifier = (*stripeVerifier)(nil)

func newStripe(o Options) (*stripeVerifier, error) {
	return &stripeVerifier{tol: o.Tolerance, macs: newMACSet(rawKeys(o.Secrets), sha256.New)}, nil
}

// Verify implements Verifier. The signature is checked before the timestamp,
// so ErrTooOld and ErrTooNew mean a genuine but replayed or mistimed event.
// Unlike Stripe's SDKs, which reject only old timestamps, it also rejects
// timestamps more than the tolerance ahead of now.
func (v *stripeVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s := r.Header.Get(stripeHeader)
	if s == "" {
		return Result{}, fmt.Errorf("header %s: %w", stripeHeader, ErrNoSignature)
	}
	sh, err := parseStripe(s)
	if err != nil {
		return Result{}, fmt.Errorf("header %s: %v: %w", stripeHeader, err, ErrMalformed)
	}
	for i := range v.macs.pools {
		st := v.macs.get(i)
		st.writeParts(sh.t)
		st.h.Write(r.Body)
		ok := sh.v1.match(st.sum())
		v.macs.put(i, st)
		if ok {
			if err := checkTime(stripeHeader, "t=", sh.ts, now, v.tol); err != nil {
				return Result{}, err
			}
			return Result{SecretIndex: i}, nil
		}
	}
	return Result{}, fmt.Errorf("header %s: no v1 signature matches any of %d secrets: %w", stripeHeader, len(v.macs.pools), ErrMismatch)
}

func (v *stripeVerifier) sign(r *Request, now time.Time) {
	t := strconv.FormatInt(now.Unix(), 10)
	st := v.macs.get(0)
	st.writeParts(t)
	st.h.Write(r.Body)
	r.Header.Set(stripeHeader, "t="+t+",v1="+encHex.encode(st.sum()))
	v.macs.put(0, st)
}

// stripeSig is a parsed Stripe-Signature header.
type stripeSig struct {
	t  string // the timestamp as sent, which is what was signed
	ts int64
	v1 sigList
}

// parseStripe parses a Stripe-Signature header as leniently as stripe-go:
// pairs other than t and v1 (v0, future schemes) are ignored, as are v1
// values that are not 64 hex digits; spaces around pairs are allowed. The
// header is malformed when a pair is not key=value, t is missing, repeated or
// not decimal digits, or no usable v1 remains. Its errors are plain details
// for the caller to wrap.
func parseStripe(s string) (stripeSig, error) {
	var sh stripeSig
	seenT := false
	for rest := s; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, ",")
		pair = strings.Trim(pair, " \t")
		k, val, ok := strings.Cut(pair, "=")
		if !ok || strings.IndexByte(val, '=') >= 0 {
			return sh, fmt.Errorf("pair %q is not key=value", truncate(pair))
		}
		switch k {
		case "t":
			if seenT {
				return sh, errors.New("t appears twice")
			}
			seenT = true
			ts, ok := parseUnix(val)
			if !ok {
				return sh, fmt.Errorf("t=%q is not unix seconds", truncate(val))
			}
			sh.t, sh.ts = val, ts
		case "v1":
			if _, full := sh.v1.add(val, encHex); full {
				return sh, fmt.Errorf("more than %d v1 signatures", maxSigs)
			}
		}
	}
	if strings.HasSuffix(s, ",") {
		return sh, errors.New("empty pair at the end")
	}
	if !seenT {
		return sh, errors.New("no t= timestamp")
	}
	if sh.v1.n == 0 {
		return sh, errors.New("no valid v1 signature")
	}
	return sh, nil
}

// truncate shortens attacker-controlled text quoted in an error message.
func truncate(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
