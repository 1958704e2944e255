package verify

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"time"
)

// kvScheme describes a provider that sends, in one header, the time it
// signed and one hex HMAC-SHA256 signature per active secret, each over
// "{timestamp}{join}{body}" keyed with the secret byte for byte. Stripe's
// "t=<unix>,v1=<hex>[,v1=<hex>...]" is the model: Calendly, Mux and WorkOS
// send it under their own header, Paddle with other keys and separator,
// Persona and Recurly in another layout; Sanity sends Stripe's layout with
// the timestamp in milliseconds and base64url signatures. Such a provider is
// its data and a register call (see stripe.go).
type kvScheme struct {
	name      string
	header    string
	layout    kvLayout
	sep       byte      // between pairs or list entries: ',' or ';'
	tsKey     string    // key of the timestamp ("t"); "" in a kvList
	sigKey    string    // key of each signature ("v1"); "" in a kvList
	unit      stampUnit // stampSeconds or stampMillis
	join      byte      // signed between the timestamp and the body: '.' or ':'
	enc       encoding  // of the signatures: encHex (the zero value) or encBase64URL (Sanity)
	tolerance time.Duration
	desc      string
	eventID   string
	eventType []string
}

// kvLayout is how a kvScheme header is laid out.
type kvLayout int

const (
	// kvPairs is Stripe's: key=value pairs separated by sep, spaces allowed
	// around a pair; one timestamp and one or more signatures.
	kvPairs kvLayout = iota
	// kvSpacedPairs is kvPairs with spaces allowed around the '=' too
	// (Paddle).
	kvSpacedPairs
	// kvSets is Persona's: kvPairs sets, separated by spaces while a secret
	// rotates; each timestamp starts a set, whose signatures follow it.
	kvSets
	// kvList is Recurly's: the timestamp, then the signatures, separated by
	// sep, without keys.
	kvList
)

// maxKVSets bounds the sets of one kvSets header: Persona sends two while a
// secret rotates.
const maxKVSets = 4

// kvSigs is a parsed kvScheme header: one set, or up to maxKVSets for
// kvSets.
type kvSigs struct {
	n    int
	sets [maxKVSets]kvSet
}

// kvSet is a timestamp and the signatures made with it.
type kvSet struct {
	t    string // the timestamp as sent, which is what was signed
	ts   int64  // t in the scheme's unit
	pair string // t with its key as sent ("t=1700000000"), for messages
	sigs sigList
}

func (k kvScheme) preset() Preset {
	return Preset{
		Name:        k.name,
		Scheme:      "hmac-sha256",
		Description: k.desc,
		Headers:     []string{k.header},
		Tolerance:   k.tolerance,
		EventID:     k.eventID,
		EventType:   k.eventType,
		New:         newWith(k.build),
		Sign:        signWith(k.build),
	}
}

// kvVerifier checks a kvScheme. It is safe for concurrent use.
type kvVerifier struct {
	k      kvScheme
	header string // canonical
	tol    time.Duration
	macs   *macSet
}

var _ Verifier = (*kvVerifier)(nil)

func (k kvScheme) build(o Options) (*kvVerifier, error) {
	return &kvVerifier{
		k:      k,
		header: textproto.CanonicalMIMEHeaderKey(k.header),
		tol:    o.Tolerance,
		macs:   newMACSet(rawKeys(o.Secrets), sha256.New),
	}, nil
}

// Verify implements Verifier. Every signature is tried with every secret,
// each with the timestamp of its set. The signature is checked before the
// timestamp, so ErrTooOld and ErrTooNew mean a genuine but replayed or
// mistimed event. Unlike Stripe's SDKs, which reject only old timestamps,
// it also rejects timestamps more than the tolerance ahead of now.
func (v *kvVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s, err := requireHeader(r, v.header)
	if err != nil {
		return Result{}, err
	}
	var p kvSigs
	if err := v.k.parse(s, &p); err != nil {
		return Result{}, fmt.Errorf("header %s: %v: %w", v.header, err, ErrMalformed)
	}
	var set *kvSet // the set that matched
	i := v.macs.find(func(st *macState) bool {
		for j := range p.n {
			st.reset()
			v.write(st, p.sets[j].t, r.Body)
			if p.sets[j].sigs.match(st.sum()) {
				set = &p.sets[j]
				return true
			}
		}
		return false
	})
	if i < 0 {
		what := strings.TrimSpace(v.k.sigKey + " signature")
		if v.k.sigKey == "signature" { // Buildkite's key
			what = v.k.sigKey
		}
		return Result{}, fmt.Errorf("header %s: no %s matches any of %d secrets: %w", v.header, what, len(v.macs.pools), ErrMismatch)
	}
	if err := checkWindow("header", v.header, set.pair, v.k.unit.time(set.ts), now, v.tol); err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: i}, nil
}

// write feeds the signed content to st.
func (v *kvVerifier) write(st *macState, t string, body []byte) {
	st.write(t, string(v.k.join))
	st.h.Write(body)
}

// sign sets the header on r, signed with the first secret at time now.
func (v *kvVerifier) sign(r *Request, now time.Time) error {
	t := v.k.unit.format(now)
	sig := v.macs.mac(0, v.k.enc, func(st *macState) { v.write(st, t, r.Body) })
	r.Header.Set(v.header, kvPair(v.k.tsKey, t)+string(v.k.sep)+kvPair(v.k.sigKey, sig))
	return nil
}

// kvPair is "key=val", or val alone when key is "".
func kvPair(key, val string) string {
	if key == "" {
		return val
	}
	return key + "=" + val
}

// parse reads the header s into p. Its errors are plain details for the
// caller to wrap.
func (k *kvScheme) parse(s string, p *kvSigs) error {
	switch k.layout {
	case kvSets:
		return k.parseSets(s, p)
	case kvList:
		return k.parseList(s, p)
	}
	return k.parsePairs(s, p)
}

// parsePairs reads a kvPairs or kvSpacedPairs header as leniently as
// stripe-go: keys other than the timestamp's and the signatures' (v0, h2,
// future schemes) are ignored, as are signatures that are not 64 hex
// digits. The header is malformed when a pair is not key=value, the
// timestamp is missing, repeated or not decimal digits, or no usable
// signature remains.
func (k *kvScheme) parsePairs(s string, p *kvSigs) error {
	set := &p.sets[0]
	seenT := false
	for rest := s; rest != ""; {
		var pair string
		pair, rest, _ = cutByte(rest, k.sep)
		pair = strings.Trim(pair, " \t")
		key, val, ok := strings.Cut(pair, "=")
		if !ok || strings.IndexByte(val, '=') >= 0 {
			return fmt.Errorf("pair %q is not key=value", truncate(pair))
		}
		if k.layout == kvSpacedPairs {
			key, val = strings.Trim(key, " \t"), strings.Trim(val, " \t")
		}
		switch key {
		case k.tsKey:
			if seenT {
				return fmt.Errorf("%s appears twice", k.tsKey)
			}
			seenT = true
			ts, ok := parseUnix(val)
			if !ok {
				return fmt.Errorf("%s=%q is not unix %s", k.tsKey, truncate(val), k.unit)
			}
			set.t, set.ts, set.pair = val, ts, pair
		case k.sigKey:
			if _, full := set.sigs.add(val, k.enc); full {
				return fmt.Errorf("more than %d %s signatures", maxSigs, k.sigKey)
			}
		}
	}
	switch {
	case s != "" && s[len(s)-1] == k.sep:
		return errors.New("empty pair at the end")
	case !seenT:
		return fmt.Errorf("no %s= timestamp", k.tsKey)
	case set.sigs.n == 0:
		return fmt.Errorf("no valid %s signature", k.sigKey)
	}
	p.n = 1
	return nil
}

// parseSets reads a kvSets header. Pairs are separated by sep or spaces;
// each timestamp starts a set and the signatures after it belong to it.
// Other keys are ignored, as are signatures that are not 64 hex digits. The
// header is malformed when a pair is not key=value, a signature comes
// before any timestamp, a timestamp is not decimal digits, there are more
// than maxKVSets sets, or no set has a usable signature.
func (k *kvScheme) parseSets(s string, p *kvSigs) error {
	usable := false
	for rest := s; rest != ""; {
		i := 0
		for i < len(rest) && rest[i] != k.sep && rest[i] != ' ' && rest[i] != '\t' {
			i++
		}
		pair := rest[:i]
		rest = rest[min(i+1, len(rest)):]
		if pair == "" {
			continue
		}
		key, val, ok := strings.Cut(pair, "=")
		if !ok || strings.IndexByte(val, '=') >= 0 {
			return fmt.Errorf("pair %q is not key=value", truncate(pair))
		}
		switch key {
		case k.tsKey:
			if p.n == maxKVSets {
				return fmt.Errorf("more than %d signature sets", maxKVSets)
			}
			ts, ok := parseUnix(val)
			if !ok {
				return fmt.Errorf("%s=%q is not unix %s", k.tsKey, truncate(val), k.unit)
			}
			p.sets[p.n].t, p.sets[p.n].ts, p.sets[p.n].pair = val, ts, pair
			p.n++
		case k.sigKey:
			if p.n == 0 {
				return fmt.Errorf("%s before any %s=", k.sigKey, k.tsKey)
			}
			added, full := p.sets[p.n-1].sigs.add(val, k.enc)
			if full {
				return fmt.Errorf("more than %d %s signatures in one set", maxSigs, k.sigKey)
			}
			usable = usable || added
		}
	}
	switch {
	case p.n == 0:
		return fmt.Errorf("no %s= timestamp", k.tsKey)
	case !usable:
		return fmt.Errorf("no valid %s signature", k.sigKey)
	}
	return nil
}

// parseList reads a kvList header: the timestamp, then the signatures,
// separated by sep with spaces allowed around each. Signatures that are not
// 64 hex digits are ignored; the header is malformed when the timestamp is
// not decimal digits or no signature is usable.
func (k *kvScheme) parseList(s string, p *kvSigs) error {
	set := &p.sets[0]
	t, rest, _ := cutByte(s, k.sep)
	t = strings.TrimSpace(t)
	ts, ok := parseUnix(t)
	if !ok {
		return fmt.Errorf("timestamp %q is not unix %s", truncate(t), k.unit)
	}
	set.t, set.ts, set.pair = t, ts, t
	for rest != "" {
		var sig string
		sig, rest, _ = cutByte(rest, k.sep)
		if _, full := set.sigs.add(strings.TrimSpace(sig), k.enc); full {
			return fmt.Errorf("more than %d signatures", maxSigs)
		}
	}
	if set.sigs.n == 0 {
		return errors.New("no valid signature after the timestamp")
	}
	p.n = 1
	return nil
}

// cutByte is strings.Cut with a one-byte separator.
func cutByte(s string, sep byte) (before, after string, found bool) {
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}
