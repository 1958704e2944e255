package verify

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:        "pagerduty",
		Scheme:      "hmac-sha256",
		Description: "PagerDuty v3: X-PagerDuty-Signature v1=<hex>[,v1=<hex>] over the body, secret used verbatim (not base64-decoded)",
		Headers:     []string{"X-PagerDuty-Signature"},
		EventID:     "event.id",
		EventType:   []string{"event.event_type"},
		New:         newWith(newPagerDuty),
		Sign:        signWith(newPagerDuty),
	})
}

// pagerDutyHeader is canonical, so that looking it up does not allocate.
const pagerDutyHeader = "X-Pagerduty-Signature"

// pagerDutyVerifier checks PagerDuty's v3 webhook scheme: a comma-separated
// list of "v1=<hex HMAC-SHA256 of the body>", one per active secret.
type pagerDutyVerifier struct {
	macs *macSet
}

var _ Verifier = (*pagerDutyVerifier)(nil)

func newPagerDuty(o Options) (*pagerDutyVerifier, error) {
	return &pagerDutyVerifier{macs: newMACSet(rawKeys(o.Secrets), sha256.New)}, nil
}

// Verify implements Verifier.
func (v *pagerDutyVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	s, err := requireHeader(r, pagerDutyHeader)
	if err != nil {
		return Result{}, err
	}
	sigs, err := parsePagerDuty(s)
	if err != nil {
		return Result{}, fmt.Errorf("header %s: %v: %w", pagerDutyHeader, err, ErrMalformed)
	}
	i := v.macs.find(func(st *macState) bool {
		st.h.Write(r.Body)
		return sigs.match(st.sum())
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: no v1 signature matches any of %d secrets: %w", pagerDutyHeader, len(v.macs.pools), ErrMismatch)
	}
	return Result{SecretIndex: i}, nil
}

func (v *pagerDutyVerifier) sign(r *Request, _ time.Time) error {
	r.Header.Set(pagerDutyHeader, "v1="+v.macs.mac(0, encHex, func(st *macState) { st.h.Write(r.Body) }))
	return nil
}

// parsePagerDuty parses an X-PagerDuty-Signature list: entries separated by
// commas, with optional spaces around them. Entries of other versions and
// v1 entries that are not 64 hex digits are ignored; it is malformed when no
// v1 signature remains or there are more than maxSigs. Its errors are plain
// details for the caller to wrap.
func parsePagerDuty(s string) (sigList, error) {
	var l sigList
	for rest := s; rest != ""; {
		var e string
		e, rest, _ = strings.Cut(rest, ",")
		ver, sig, ok := strings.Cut(strings.Trim(e, " \t"), "=")
		if !ok || ver != "v1" {
			continue
		}
		if _, full := l.add(sig, encHex); full {
			return l, fmt.Errorf("more than %d v1 signatures", maxSigs)
		}
	}
	if l.n == 0 {
		return l, errors.New("no valid v1 signature")
	}
	return l, nil
}
