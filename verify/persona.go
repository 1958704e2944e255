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
		Name:        "persona",
		Scheme:      "hmac-sha256",
		Description: "Persona: Persona-Signature t=,v1=<hex> HMAC-SHA256 over {t}.{body}, webhook secret raw; two space-separated sets while rotating",
		Headers:     []string{personaHeader},
		// Persona documents no window; 5 minutes is the gateway's policy.
		Tolerance: 5 * time.Minute,
		EventID:   "data.id",
		EventType: []string{"data.attributes.name"},
		New:       func(o Options) (Verifier, error) { return newPersona(o), nil },
		Sign: func(r *Request, o Options, now time.Time) error {
			newPersona(o).sign(r, now)
			return nil
		},
	})
}

const personaHeader = "Persona-Signature"

// personaVerifier checks Persona's scheme: "t=<unix>,v1=<hex>", and while a
// secret rotates two such sets separated by a space, each signed with one of
// the secrets.
type personaVerifier struct {
	tol  time.Duration
	macs *macSet
}

var _ Verifier = (*personaVerifier)(nil)

func newPersona(o Options) *personaVerifier {
	return &personaVerifier{tol: o.Tolerance, macs: newMACSet(rawKeys(o.Secrets), sha256.New)}
}

// Verify implements Verifier. Each set is checked with its own t; the
// timestamp of the set that matched is then checked against the window.
func (v *personaVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s := r.Header.Get(personaHeader)
	if s == "" {
		return Result{}, fmt.Errorf("header %s: %w", personaHeader, ErrNoSignature)
	}
	sets, err := parsePersona(s)
	if err != nil {
		return Result{}, fmt.Errorf("header %s: %v: %w", personaHeader, err, ErrMalformed)
	}
	for i := range v.macs.pools {
		for j := 0; j < sets.n; j++ {
			set := &sets.sets[j]
			st := v.macs.get(i)
			st.writeParts(set.t)
			st.h.Write(r.Body)
			ok := set.v1.match(st.sum())
			v.macs.put(i, st)
			if ok {
				if err := checkTime(personaHeader, "t=", set.ts, now, v.tol); err != nil {
					return Result{}, err
				}
				return Result{SecretIndex: i}, nil
			}
		}
	}
	return Result{}, fmt.Errorf("header %s: no v1 signature matches any of %d secrets: %w", personaHeader, len(v.macs.pools), ErrMismatch)
}

func (v *personaVerifier) sign(r *Request, now time.Time) {
	t := strconv.FormatInt(now.Unix(), 10)
	st := v.macs.get(0)
	st.writeParts(t)
	st.h.Write(r.Body)
	r.Header.Set(personaHeader, "t="+t+",v1="+encHex.encode(st.sum()))
	v.macs.put(0, st)
}

// maxPersonaSets bounds the sets of one header: Persona sends two while a
// secret rotates.
const maxPersonaSets = 4

// personaSig is a parsed Persona-Signature header.
type personaSig struct {
	n    int
	sets [maxPersonaSets]struct {
		t  string
		ts int64
		v1 sigList
	}
}

// parsePersona parses a Persona-Signature header. Pairs are separated by
// commas or spaces; each t= starts a set and the v1= pairs after it belong to
// it. Pairs other than t and v1 are ignored, as are v1 values that are not 64
// hex digits. The header is malformed when a pair is not key=value, a v1
// comes before any t, a t is not decimal digits, there are more than
// maxPersonaSets sets, or no set has a usable v1. Its errors are plain
// details for the caller to wrap.
func parsePersona(s string) (personaSig, error) {
	var p personaSig
	usable := false
	for rest := s; rest != ""; {
		i := strings.IndexAny(rest, ", \t")
		if i < 0 {
			i = len(rest)
		}
		pair := rest[:i]
		rest = rest[min(i+1, len(rest)):]
		if pair == "" {
			continue
		}
		k, val, ok := strings.Cut(pair, "=")
		if !ok || strings.IndexByte(val, '=') >= 0 {
			return p, fmt.Errorf("pair %q is not key=value", truncate(pair))
		}
		switch k {
		case "t":
			if p.n == maxPersonaSets {
				return p, fmt.Errorf("more than %d signature sets", maxPersonaSets)
			}
			ts, ok := parseUnix(val)
			if !ok {
				return p, fmt.Errorf("t=%q is not unix seconds", truncate(val))
			}
			p.sets[p.n].t, p.sets[p.n].ts = val, ts
			p.n++
		case "v1":
			if p.n == 0 {
				return p, errors.New("v1 before any t=")
			}
			added, full := p.sets[p.n-1].v1.add(val, encHex)
			if full {
				return p, fmt.Errorf("more than %d v1 signatures in one set", maxSigs)
			}
			usable = usable || added
		}
	}
	if p.n == 0 {
		return p, errors.New("no t= timestamp")
	}
	if !usable {
		return p, errors.New("no valid v1 signature")
	}
	return p, nil
}
