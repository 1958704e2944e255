package verify

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// rotation applies Options.NotAfter: at the request's time, a scheme tries
// only the secrets still in use, so that a request signed with both a
// revoked and a current secret (Stripe's v1 pair during a roll, several
// Standard Webhooks or Box signatures) verifies with the current one.
//
// Schemes try the secrets they were built with in order and stop at the
// first match, and the set in use changes only at an expiry time. So for
// each span between two expiry times, rotation holds the preset's verifier
// built twice: with the secrets in use then, and with those expired then.
// A request is checked with the first. Only when no secret in use matches
// is it checked with the second, to tell a sender still signing with a
// revoked secret (ErrSecretExpired) from a plain mismatch. The verifiers'
// SecretIndex, an index in the subset they were built with, is mapped back
// to the index in Options.Secrets. A handshake that no secret signs is
// answered by either. It is safe for concurrent use.
type rotation struct {
	bounds   []time.Time // the distinct expiry times, ascending
	spans    []span      // spans[i]: bounds[:i] have passed, bounds[i:] not
	notAfter []time.Time // Options.NotAfter, for messages
	secrets  int         // len(Options.Secrets)
}

// span holds the verifiers of the time between two expiry times.
type span struct {
	inUse, expired subset
}

// subset is a preset's verifier built with some of the secrets; v is nil
// when there are none.
type subset struct {
	v   Verifier
	idx []int // idx[i]: index in Options.Secrets of the verifier's secret i
	// all is len(Options.Secrets): a secret the scheme has besides them
	// (Asana's learned one) is reported after them.
	all int
}

var _ Verifier = (*rotation)(nil)

// withExpiry returns full, p's verifier built with o, when no secret
// expires, and a rotation over p otherwise.
func withExpiry(p Preset, o Options, full Verifier) (Verifier, error) {
	var bounds []time.Time
	for _, t := range o.NotAfter {
		if !t.IsZero() {
			bounds = append(bounds, t)
		}
	}
	if len(bounds) == 0 {
		return full, nil
	}
	slices.SortFunc(bounds, time.Time.Compare)
	bounds = slices.CompactFunc(bounds, time.Time.Equal)
	r := &rotation{bounds: bounds, spans: make([]span, len(bounds)+1), notAfter: slices.Clone(o.NotAfter), secrets: len(o.Secrets)}
	for i := range r.spans {
		var inUse, expired []int
		for j := range o.Secrets {
			if i > 0 && j < len(o.NotAfter) && !o.NotAfter[j].IsZero() && !o.NotAfter[j].After(bounds[i-1]) {
				expired = append(expired, j)
			} else {
				inUse = append(inUse, j)
			}
		}
		var err error
		if r.spans[i].inUse, err = newSubset(p, o, inUse, full); err != nil {
			return nil, err
		}
		if r.spans[i].expired, err = newSubset(p, o, expired, full); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// newSubset builds p's verifier with the secrets of o at indexes idx;
// full is the one built with all of them.
func newSubset(p Preset, o Options, idx []int, full Verifier) (subset, error) {
	switch len(idx) {
	case 0:
		return subset{}, nil
	case len(o.Secrets):
		return subset{v: full, idx: idx, all: len(o.Secrets)}, nil
	}
	all := len(o.Secrets)
	secrets := make([]string, len(idx))
	for i, j := range idx {
		secrets[i] = o.Secrets[j]
	}
	o.Secrets, o.NotAfter = secrets, nil
	v, err := p.New(o)
	if err != nil {
		return subset{}, err
	}
	return subset{v: v, idx: idx, all: all}, nil
}

// result maps res.SecretIndex back to an index in Options.Secrets.
func (s *subset) result(res Result) Result {
	switch {
	case res.SecretIndex >= 0 && res.SecretIndex < len(s.idx):
		res.SecretIndex = s.idx[res.SecretIndex]
	case res.SecretIndex >= len(s.idx) && !res.unsigned:
		res.SecretIndex += s.all - len(s.idx)
	}
	return res
}

// Verify implements Verifier. A request verifies when a secret in use at
// now matches. When only an expired secret does, it fails with
// ErrSecretExpired; when none does, with the error of the secrets in use.
func (r *rotation) Verify(req *Request, now time.Time) (Result, error) {
	i := 0
	for i < len(r.bounds) && now.After(r.bounds[i]) {
		i++
	}
	s := &r.spans[i]
	var err error
	if s.inUse.v != nil {
		res, err0 := s.inUse.v.Verify(req, now)
		if err0 == nil {
			return s.inUse.result(res), nil
		}
		// Any other error means the signature was found or could not be
		// read: an expired secret cannot change that.
		if s.expired.v == nil || !errors.Is(err0, ErrMismatch) {
			return Result{}, err0
		}
		err = err0
	}
	res, err1 := s.expired.v.Verify(req, now)
	switch {
	case err1 == nil && res.unsigned:
		return s.expired.result(res), nil
	case err1 == nil && s.expired.result(res).SecretIndex >= r.secrets:
		// A secret the scheme holds besides the configured ones (Asana's
		// learned one) has no expiry.
		return s.expired.result(res), nil
	case err1 == nil:
		j := s.expired.result(res).SecretIndex
		return Result{}, fmt.Errorf("secret %d matched but is not accepted after %s: %w",
			j, r.notAfter[j].UTC().Format(time.RFC3339), ErrSecretExpired)
	case err == nil: // no secret is in use
		err = err1
	}
	return Result{}, fmt.Errorf("%d of %d secrets expired: %w", len(s.expired.idx), r.secrets, err)
}
