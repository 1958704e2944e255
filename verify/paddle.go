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
		Name:        "paddle",
		Scheme:      "hmac-sha256",
		Description: "Paddle Billing: Paddle-Signature ts=;h1= over {ts}:{body}, pdl_ntfset_ secret used verbatim",
		Headers:     []string{paddleHeader},
		// Paddle's docs and SDKs default to five seconds and tell manual
		// implementations to do the same. It is tight: raise it when the
		// receiver's clock or a queue in front of it lags.
		Tolerance: 5 * time.Second,
		EventID:   "event_id",
		EventType: []string{"event_type"},
		New:       func(o Options) (Verifier, error) { return newPaddle(o), nil },
		Sign: func(r *Request, o Options, now time.Time) error {
			newPaddle(o).sign(r, now)
			return nil
		},
	})
}

const paddleHeader = "Paddle-Signature"

// paddleVerifier checks Paddle Billing's scheme: the header
// "ts=<unix>;h1=<hex>[;h1=<hex>...]" carries HMAC-SHA256 over
// "{ts}:{body}", keyed with the whole secret, pdl_ntfset_ prefix included.
type paddleVerifier struct {
	tol  time.Duration
	macs *macSet
}

var _ Verifier = (*paddleVerifier)(nil)

func newPaddle(o Options) *paddleVerifier {
	return &paddleVerifier{tol: o.Tolerance, macs: newMACSet(rawKeys(o.Secrets), sha256.New)}
}

// Verify implements Verifier. Every h1 is tried (Paddle sends one per
// active secret while rotating; its Node SDK keeps only the last). The
// signature is checked before the timestamp, which is checked in both
// directions, as Paddle's Go SDK does.
func (v *paddleVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s := r.Header.Get(paddleHeader)
	if s == "" {
		return Result{}, fmt.Errorf("header %s: %w", paddleHeader, ErrNoSignature)
	}
	ps, err := parsePaddle(s)
	if err != nil {
		return Result{}, fmt.Errorf("header %s: %v: %w", paddleHeader, err, ErrMalformed)
	}
	for i := range v.macs.pools {
		st := v.macs.get(i)
		writePaddle(st, ps.ts, r.Body)
		ok := ps.h1.match(st.sum())
		v.macs.put(i, st)
		if ok {
			if err := checkTime(paddleHeader, "ts=", ps.unix, now, v.tol); err != nil {
				return Result{}, err
			}
			return Result{SecretIndex: i}, nil
		}
	}
	return Result{}, fmt.Errorf("header %s: no h1 signature matches any of %d secrets: %w", paddleHeader, len(v.macs.pools), ErrMismatch)
}

func writePaddle(st *macState, ts string, body []byte) {
	st.buf = append(append(st.buf[:0], ts...), ':')
	st.h.Write(st.buf)
	st.h.Write(body)
}

func (v *paddleVerifier) sign(r *Request, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	st := v.macs.get(0)
	writePaddle(st, ts, r.Body)
	r.Header.Set(paddleHeader, "ts="+ts+";h1="+encHex.encode(st.sum()))
	v.macs.put(0, st)
}

// paddleSig is a parsed Paddle-Signature header.
type paddleSig struct {
	ts   string // as sent, which is what was signed
	unix int64
	h1   sigList
}

// parsePaddle parses a Paddle-Signature header with the leniency of
// parseStripe: ";"-separated key=value pairs with optional spaces around
// them; keys other than ts and h1 (h2, future schemes) are ignored, as are
// h1 values that are not 64 hex digits. It is malformed when a pair is not
// key=value or empty, ts is missing, repeated or not decimal digits, or no
// usable h1 remains. Its errors are plain details for the caller to wrap.
func parsePaddle(s string) (paddleSig, error) {
	var ps paddleSig
	seenTS := false
	for rest := s; ; {
		var pair string
		var more bool
		pair, rest, more = strings.Cut(rest, ";")
		pair = strings.Trim(pair, " \t")
		k, val, ok := strings.Cut(pair, "=")
		if !ok || strings.IndexByte(val, '=') >= 0 {
			return ps, fmt.Errorf("pair %q is not key=value", truncate(pair))
		}
		switch strings.Trim(k, " \t") {
		case "ts":
			if seenTS {
				return ps, errors.New("ts appears twice")
			}
			seenTS = true
			val = strings.Trim(val, " \t")
			unix, ok := parseUnix(val)
			if !ok {
				return ps, fmt.Errorf("ts=%q is not unix seconds", truncate(val))
			}
			ps.ts, ps.unix = val, unix
		case "h1":
			if _, full := ps.h1.add(strings.Trim(val, " \t"), encHex); full {
				return ps, fmt.Errorf("more than %d h1 signatures", maxSigs)
			}
		}
		if !more {
			break
		}
	}
	if !seenTS {
		return ps, errors.New("no ts= timestamp")
	}
	if ps.h1.n == 0 {
		return ps, errors.New("no valid h1 signature")
	}
	return ps, nil
}
