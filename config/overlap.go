package config

import (
	"fmt"
	"slices"

	"github.com/hookgate/hookgate/forward"
)

// validateSubjectOverlaps refuses a subject template of live events (a
// provider's subject, or a copying route's for each provider it copies)
// that can render a subject that a stale subject template (a provider's
// ordering.stale_subject, with stale: forward) renders too, the provider's
// own included: a consumer of stale events would get live ones, and a
// consumer of live events stale ones. The check is exact
// (forward.TemplatesOverlap): only templates that some pair of event types
// brings onto one subject are refused, with that subject as the example.
//
// Live subjects may overlap each other (providers that share a subject, a
// route's copies among events, told apart by Hookgate-Provider and
// Hookgate-Route), and stale subjects each other.
func (c *Config) validateSubjectOverlaps(v *validator) {
	type staleSubject struct{ field, tmpl, provider string }
	var stales []staleSubject
	for i := range c.Providers {
		p := &c.Providers[i]
		if p.Ordering.StaleForward() && usableTemplate(p.Name, p.Ordering.StaleSubject) {
			stales = append(stales, staleSubject{providerField(i, p.Name) + ".ordering.stale_subject", p.Ordering.StaleSubject, p.Name})
		}
	}
	if len(stales) == 0 {
		return
	}
	// check reports the first of providers for which tmpl (note says
	// when it is the default) overlaps s; what names the live events of a
	// provider and type.
	check := func(field, tmpl, note string, providers []string, what func(provider, typ string) string, s staleSubject) {
		for _, name := range providers {
			o, overlap := forward.TemplatesOverlap(tmpl, name, s.tmpl, s.provider)
			if !overlap {
				continue
			}
			v.bad(field, "%q%s and %s %q%s can give the same subject: %s is where %s go, and where %s go; "+
				"a consumer of stale events would get live events, and the reverse: change one of the templates",
				tmpl, note, s.field, s.tmpl, defaultNote(s.tmpl, DefaultStaleSubject),
				o.Subject, what(name, o.TypeA), events(s.provider+"'s stale events", o.TypeB))
			return
		}
	}
	for i := range c.Providers {
		p := &c.Providers[i]
		if !usableTemplate(p.Name, p.Subject) {
			continue
		}
		for _, s := range stales {
			check(providerField(i, p.Name)+".subject", p.Subject, defaultNote(p.Subject, DefaultSubject), []string{p.Name},
				func(provider, typ string) string { return events(provider+"'s events", typ) }, s)
		}
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.Drop() || forward.ValidateTemplate(r.Subject) != nil {
			continue
		}
		var providers []string // those it copies
		for _, p := range c.Providers {
			if providerName.MatchString(p.Name) && (len(r.Providers) == 0 || slices.Contains(r.Providers, p.Name)) {
				providers = append(providers, p.Name)
			}
		}
		field := fmt.Sprintf("routes[%d] (%s).subject", i, r.Name)
		for _, s := range stales {
			check(field, r.Subject, "", providers, func(provider, typ string) string {
				return events(fmt.Sprintf("route %s's copies of %s's events", r.Name, provider), typ)
			}, s)
		}
	}
}

// usableTemplate reports whether a provider's name and template are valid
// (else they were reported, and the overlaps are not checked).
func usableTemplate(provider, tmpl string) bool {
	return providerName.MatchString(provider) && forward.ValidateTemplate(tmpl) == nil
}

// providerField names providers[i] in errors.
func providerField(i int, name string) string {
	s := fmt.Sprintf("providers[%d]", i)
	if name != "" {
		s += " (" + name + ")"
	}
	return s
}

// defaultNote says that tmpl is def, the default.
func defaultNote(tmpl, def string) string {
	if tmpl == def {
		return " (the default)"
	}
	return ""
}

// events is what, of event type typ ("" when the template has no {type}).
func events(what, typ string) string {
	if typ == "" {
		return what
	}
	return fmt.Sprintf("%s of type %q", what, typ)
}
