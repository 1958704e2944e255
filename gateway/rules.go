package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/textproto"

	"github.com/nats-io/nats.go"

	"hookgate/config"
	"hookgate/forward"
	"hookgate/route"
	"hookgate/webhook"
)

// rules are the compiled routes of a config (README "Routing"): a
// request is routed with the rules current when it was identified.
type rules struct {
	table  *route.Table
	routes map[string]*config.Route
	errLog map[string]*sampler // a route's evaluation errors, logged sampled
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

// route evaluates the rules for ev, built from the request by
// provider.event, and gives it its copies, or marks it dropped (apply).
// An evaluation error is the rule's alone (no match): counted, and logged
// at most once a second per rule. Each copy is size-checked like the
// event's own message.
func (s *Server) route(ctx context.Context, rs *rules, p *provider, id identity, h http.Header, fields []byte, ev *webhook.Event) error {
	matches, errs := rs.apply(p, id, h, fields, ev)
	for _, e := range errs {
		s.metrics.routeErrors.WithLabelValues(e.Rule).Inc()
		if ok, skipped := rs.errLog[e.Rule].allow(); ok {
			s.log.LogAttrs(ctx, slog.LevelWarn, "route condition failed; no match", slog.String("route", e.Rule),
				slog.String("provider", p.name), slog.String("event_id", clip(id.ID)), slog.String("err", clip(e.Err.Error())),
				slog.Int64("not_logged_before", skipped))
		}
	}
	for _, m := range matches {
		s.metrics.routeMatches.WithLabelValues(m.Name).Inc()
	}
	for i := range ev.Copies {
		if err := s.fits(&ev.Copies[i]); err != nil {
			return err
		}
	}
	return nil
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
			ID:      ev.Message.ID + "@" + m.Name,
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
