package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/verify"
)

// Explanation is what the gateway would forward for one request, as
// `hookgate routes` prints it.
type Explanation struct {
	Provider string
	// Verified is nil when the signature verified at the given time, else
	// why it did not (the rest is computed all the same).
	Verified error
	ID, Type string
	// Messages are the event's own message and its routes' copies, in the
	// order they would be stored; none when a drop route matched.
	Messages []forward.Message
	Matches  []string // the routes that matched, in order
	Dropped  string   // the drop route that matched, if one did
	Errors   []string // the routes whose condition failed to evaluate
}

// Explain runs a captured request through a provider of cfg (the one named
// provider, or else the one whose path the request's URL has), at time
// now, without storing anything: verify, identify, the envelope and the
// routes. cfg must be validated. An error means the request cannot be
// followed that far (no such provider, no identity).
func Explain(cfg *config.Config, provider string, req *verify.Request, now time.Time) (*Explanation, error) {
	providers, err := buildProviders(cfg, true)
	if err != nil {
		return nil, err
	}
	rs, err := newRules(cfg.Routes)
	if err != nil {
		return nil, err
	}
	t := newRouteTable(providers)
	p := t.byName[provider]
	if provider == "" {
		if u, err := url.Parse(req.URL); err == nil {
			p = t.byPath[u.Path]
		}
	}
	if p == nil {
		return nil, fmt.Errorf("%w: no provider %q, and none at the request's path (%s)", config.ErrInvalid, provider, req.URL)
	}
	ex := &Explanation{Provider: p.name}
	res, err := p.verifier.Verify(req, now)
	ex.Verified = err
	if err == nil && res.Response != nil {
		return ex, nil // a handshake: answered, not forwarded
	}
	h := http.Header(req.Header)
	id, fields, ev, err := p.identified(h, req.Body, res, now)
	if err != nil {
		return nil, err
	}
	ex.ID, ex.Type = id.ID, id.Type
	if rs != nil {
		matches, errs := rs.apply(p, id, h, fields, ev)
		for _, m := range matches {
			ex.Matches = append(ex.Matches, m.Name)
			if m.Drop {
				ex.Dropped = m.Name
			}
		}
		for _, e := range errs {
			ex.Errors = append(ex.Errors, e.Error())
		}
	}
	ex.Messages = ev.Outgoing()
	return ex, nil
}
