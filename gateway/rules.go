package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/ordering"
	"github.com/hookgate/hookgate/route"
	"github.com/hookgate/hookgate/webhook"
)

// rules are the compiled routes of a config (README "Routing"): a
// request is routed with the rules current when it was identified.
type rules struct {
	table  *route.Table
	routes map[string]*config.Route
	errLog map[string]*sampler // a route's evaluation errors, logged sampled
	// matched are the routes' hookgate_route_matches_total counters,
	// resolved once, when the rules are put in use (nil outside a
	// gateway: explain, a replay beside it).
	matched map[string]prometheus.Counter
}

// newRules compiles the config's routes (nil without any).
func newRules(routes []config.Route) (*rules, error) {
	if len(routes) == 0 {
		return nil, nil
	}
	t, err := route.Compile(config.Rules(routes))
	if err != nil {
		return nil, err
	}
	r := &rules{table: t, routes: map[string]*config.Route{}, errLog: map[string]*sampler{}}
	for i := range routes {
		r.routes[routes[i].Name] = &routes[i]
		r.errLog[routes[i].Name] = newSampler(1, 1)
	}
	return r, nil
}

// countIn resolves rs's counters in vec (hookgate_route_matches_total), so
// that counting a match allocates nothing. It returns rs (nil stays nil).
func (rs *rules) countIn(vec *prometheus.CounterVec) *rules {
	if rs == nil {
		return nil
	}
	rs.matched = make(map[string]prometheus.Counter, len(rs.routes))
	for name := range rs.routes {
		rs.matched[name] = vec.WithLabelValues(name)
	}
	return rs
}

// routed is what the routes did to one request's event: the rules it was
// routed with and the routes that matched it (what route.Table.Eval
// returned: nothing more is allocated for it). It is counted once the
// decision is known (count).
type routed struct {
	rs      *rules
	matches []route.Match
}

// count adds an event the decider accepted to hookgate_route_matches_total:
// each route that gave it a copy, or, when dropped, the route that dropped
// it (the copies of the routes before it were discarded). A duplicate, a
// stale event or a failed decision is not counted: its routes did nothing.
func (r routed) count(dropped bool) {
	if r.rs == nil || r.rs.matched == nil {
		return
	}
	for _, m := range r.matches {
		if !dropped || m.Drop {
			r.rs.matched[m.Name].Inc()
		}
	}
}

// route evaluates the rules for ev, built from the request by
// provider.event, and gives it its copies, or marks it dropped (apply).
// An evaluation error is the rule's alone (no match): counted, and logged
// at most once a second per rule. A condition stopped at
// route.EvalTimeout is counted and logged too, but fails the event (503,
// nothing recorded): under load a sound condition can run out of time,
// and the event must not go out without the copy (or forwarded despite
// the drop) it would otherwise get; the sender retries. Each copy is
// size-checked like the event's own message. The matches are returned to
// be counted after the decision (routed.count).
func (s *Server) route(ctx context.Context, rs *rules, p *provider, id identity, h http.Header, fields []byte, ev *webhook.Event) (routed, error) {
	matches, errs := rs.apply(p, id, h, fields, ev)
	var timedOut error
	for _, e := range errs {
		if errors.Is(e.Err, route.ErrTimeout) && timedOut == nil {
			timedOut = fmt.Errorf("route %q: %w", e.Rule, e.Err)
		}
		s.metrics.routeErrors.WithLabelValues(e.Rule).Inc()
		if ok, skipped := rs.errLog[e.Rule].allow(); ok {
			s.log.LogAttrs(ctx, slog.LevelWarn, "route condition failed; no match", slog.String("route", e.Rule),
				slog.String("provider", p.name), slog.String("event_id", clip(id.ID)), slog.String("err", clip(e.Err.Error())),
				slog.Int64("not_logged_before", skipped))
		}
	}
	if timedOut != nil {
		return routed{}, timedOut
	}
	for i := range ev.Copies {
		if err := s.fits(&ev.Copies[i]); err != nil {
			return routed{}, err
		}
	}
	return routed{rs: rs, matches: matches}, nil
}

// apply evaluates the rules for ev and gives it a copy for each matching
// route, in order, or marks it dropped when a drop route matches. fields
// is the JSON the event's identity was read from. It returns the matching
// rules and those that failed to evaluate.
func (rs *rules) apply(p *provider, id identity, h http.Header, fields []byte, ev *webhook.Event) ([]route.Match, []*route.RuleError) {
	in := &route.Input{Provider: p.name, ID: id.ID, Type: id.Type, Header: h, Body: fields}
	if id.Ordered {
		in.Key, in.Version = id.Entity, id.Version
	}
	matches, errs := rs.table.Eval(in)
	for _, m := range matches {
		if m.Drop {
			ev.Drop, ev.Copies = true, nil
			break
		}
		r := rs.routes[m.Name]
		c := forward.Message{
			ID:      webhook.CopyID(p.name, m.Name, id.ID),
			Subject: forward.Subject(r.Subject, p.name, id.Type),
			Header:  make(nats.Header, len(ev.Message.Header)+len(r.Headers)+1),
			Body:    ev.Message.Body,
		}
		for k, v := range ev.Message.Header {
			c.Header[k] = v // shared: neither is modified after
		}
		for k, v := range r.Headers {
			c.Header[textproto.CanonicalMIMEHeaderKey(k)] = []string{v}
		}
		c.Header[forward.HeaderRoute] = []string{m.Name}
		ev.Copies = append(ev.Copies, c)
	}
	return matches, errs
}

// ReplayExpander is expander for cfg's providers and routes, for a replay
// made beside the gateway (`hookgate replay`). cfg must be validated.
func ReplayExpander(cfg *config.Config, route string) (func(forward.Message) ([]forward.Message, error), error) {
	providers, err := buildProviders(cfg, true)
	if err != nil {
		return nil, err
	}
	rs, err := newRules(cfg.Routes)
	if err != nil {
		return nil, err
	}
	return expander(rs, newRouteTable(providers), route)
}

// expander is a replay's forward.Query.Expand with the routes as they are
// now (rs; nil without routes), limited to route when it is set. The
// routes are evaluated again on each archived message: its provider, ID,
// type and ordering fields from its headers, its headers (the gateway's
// and pass_headers, not the whole request) and its body as archived (the
// envelope, when there is one). An event is replayed as its copies and
// itself, or not at all if a drop route matches now; with route, as that
// route's copy alone, or not at all. Without routes and route, it is nil:
// the archived messages are replayed as they are. A condition stopped at
// route.EvalTimeout is an error, which stops the replay (as it fails a
// request): the event would go out without a copy it may have.
func expander(rs *rules, t *routeTable, routeName string) (func(forward.Message) ([]forward.Message, error), error) {
	if routeName != "" && (rs == nil || rs.routes[routeName] == nil) {
		return nil, fmt.Errorf("%w: no route %q", ErrMalformed, routeName)
	}
	if routeName != "" && rs.routes[routeName].Drop() {
		return nil, fmt.Errorf("%w: route %q drops events; it has no copies to replay", ErrMalformed, routeName)
	}
	if rs == nil {
		return nil, nil
	}
	return func(m forward.Message) ([]forward.Message, error) {
		h := http.Header(m.Header)
		p := t.byName[h.Get(forward.HeaderProvider)]
		if p == nil || h.Get(forward.HeaderStale) != "" { // a provider that is gone; a stale event kept, which routes do not see
			if routeName != "" {
				return nil, nil
			}
			return []forward.Message{m}, nil
		}
		id := identity{ID: h.Get(forward.HeaderEventID), Type: h.Get(forward.HeaderEventType)}
		if key := h.Get(forward.HeaderOrderingKey); key != "" && p.ident.ordered {
			if v, kind, err := ordering.ParseVersion(h.Get(forward.HeaderOrderingVersion), p.ident.format); err == nil {
				id.Ordered, id.Entity, id.VersionRaw, id.Version, id.Kind = true, key, h.Get(forward.HeaderOrderingVersion), v, kind
			}
		}
		ev := &webhook.Event{Message: m}
		_, errs := rs.apply(p, id, h, m.Body, ev)
		for _, e := range errs {
			if errors.Is(e.Err, route.ErrTimeout) {
				return nil, fmt.Errorf("route %q: %w", e.Rule, e.Err)
			}
		}
		if routeName == "" {
			return ev.Outgoing(), nil
		}
		for _, c := range ev.Copies {
			if c.Header.Get(forward.HeaderRoute) == routeName {
				return []forward.Message{c}, nil
			}
		}
		return nil, nil
	}, nil
}
