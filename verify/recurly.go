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
		Name:        "recurly",
		Scheme:      "hmac-sha256",
		Description: "Recurly (JSON webhooks): recurly-signature <ms>,<hex>[,<hex>] HMAC-SHA256 over {ms}.{body}, endpoint secret raw; 5 min",
		Headers:     []string{recurlyHeader},
		// The Recurly client libraries default to 5 minutes, both ways.
		Tolerance: 5 * time.Minute,
		EventID:   "id",
		EventType: []string{"object_type", "event_type"},
		New:       func(o Options) (Verifier, error) { return newRecurly(o), nil },
		Sign: func(r *Request, o Options, now time.Time) error {
			newRecurly(o).sign(r, now)
			return nil
		},
	})
}

const recurlyHeader = "Recurly-Signature"

// recurlyVerifier checks Recurly's scheme: "<unix ms>,<hex>[,<hex>...]",
// one signature per active secret (two during a 24-hour rotation), each an
// HMAC-SHA256 of "{timestamp}.{body}".
type recurlyVerifier struct {
	tol  time.Duration
	macs *macSet
}

var _ Verifier = (*recurlyVerifier)(nil)

func newRecurly(o Options) *recurlyVerifier {
	return &recurlyVerifier{tol: o.Tolerance, macs: newMACSet(rawKeys(o.Secrets), sha256.New)}
}

// Verify implements Verifier.
func (v *recurlyVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s := r.Header.Get(recurlyHeader)
	if s == "" {
		return Result{}, fmt.Errorf("header %s: %w", recurlyHeader, ErrNoSignature)
	}
	t, ms, sigs, err := parseRecurly(s)
	if err != nil {
		return Result{}, fmt.Errorf("header %s: %v: %w", recurlyHeader, err, ErrMalformed)
	}
	for i := range v.macs.pools {
		st := v.macs.get(i)
		st.writeParts(t)
		st.h.Write(r.Body)
		ok := sigs.match(st.sum())
		v.macs.put(i, st)
		if ok {
			if err := checkMoment(recurlyHeader, "", t, time.UnixMilli(ms), now, v.tol); err != nil {
				return Result{}, err
			}
			return Result{SecretIndex: i}, nil
		}
	}
	return Result{}, fmt.Errorf("header %s: no signature matches any of %d secrets: %w", recurlyHeader, len(v.macs.pools), ErrMismatch)
}

func (v *recurlyVerifier) sign(r *Request, now time.Time) {
	t := strconv.FormatInt(now.UnixMilli(), 10)
	st := v.macs.get(0)
	st.writeParts(t)
	st.h.Write(r.Body)
	r.Header.Set(recurlyHeader, t+","+encHex.encode(st.sum()))
	v.macs.put(0, st)
}

// parseRecurly parses a recurly-signature header: the timestamp in unix
// milliseconds, then the signatures, comma-separated (spaces around them
// allowed). Signatures that are not 64 hex digits are ignored; the header is
// malformed when the timestamp is not decimal digits or no signature is
// usable. Its errors are plain details for the caller to wrap.
func parseRecurly(s string) (t string, ms int64, sigs sigList, err error) {
	t, rest, _ := strings.Cut(s, ",")
	t = strings.TrimSpace(t)
	ms, ok := parseUnix(t)
	if !ok {
		return t, 0, sigs, fmt.Errorf("timestamp %q is not unix milliseconds", truncate(t))
	}
	for rest != "" {
		var sig string
		sig, rest, _ = strings.Cut(rest, ",")
		if _, full := sigs.add(strings.TrimSpace(sig), encHex); full {
			return t, ms, sigs, fmt.Errorf("more than %d signatures", maxSigs)
		}
	}
	if sigs.n == 0 {
		return t, ms, sigs, errors.New("no valid signature after the timestamp")
	}
	return t, ms, sigs, nil
}
