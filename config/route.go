package config

import (
	"net/textproto"
	"slices"
	"strings"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/route"
)

// Route is a routing rule, evaluated for every accepted event after its
// decision is made (README "Routing"): when its condition matches, the
// event gets one more copy on Subject, with Headers added; with action
// drop the event is forwarded nowhere.
type Route struct {
	// Name is required and unique; a copy's message ID is
	// "<provider>@<name>:<event id>" (webhook.CopyID), which the name's
	// rule (no '@' or ':') keeps apart from every event's.
	Name string `yaml:"name"`
	// Providers limits the rule to these providers (default: all).
	Providers []string `yaml:"providers"`
	// When is a CEL condition over provider, id, type, headers, body, key
	// and version (default: every event).
	When string `yaml:"when"`
	// Subject is the copy's subject template ({provider}, {type}).
	Subject string `yaml:"subject"`
	// Headers are added to the copy (besides Hookgate-Route).
	Headers map[string]string `yaml:"headers"`
	// Action is empty (a copy) or "drop".
	Action string `yaml:"action"`
}

// Drop reports whether the route drops what it matches.
func (r *Route) Drop() bool { return r.Action == "drop" }

// Rules returns the routes as package route's rules.
func Rules(routes []Route) []route.Rule {
	rules := make([]route.Rule, len(routes))
	for i, r := range routes {
		rules[i] = route.Rule{Name: r.Name, Providers: r.Providers, When: r.When, Drop: r.Drop()}
	}
	return rules
}

// ownHeaders are the headers the gateway sets on every message: a route
// may not set them.
var ownHeaders = []string{forward.HeaderProvider, forward.HeaderEventID, forward.HeaderEventType, forward.HeaderReceivedAt,
	forward.HeaderOrderingKey, forward.HeaderOrderingVersion, forward.HeaderRoute, forward.HeaderReplay,
	forward.HeaderStale, forward.HeaderCurrentVersion, forward.HeaderSignature, "Content-Type"}

// validateRoutes checks the routes against the providers and the stream's
// subjects; package route compiles their conditions.
func (c *Config) validateRoutes(v *validator, streamSubjects []string) {
	providers := map[string]bool{}
	for _, p := range c.Providers {
		providers[p.Name] = true
	}
	names := map[string]int{}
	for i := range c.Routes {
		r := &c.Routes[i]
		bad := v.item("routes", i, r.Name)
		switch j, seen := names[r.Name]; {
		case !providerName.MatchString(r.Name):
			bad("name", "%q: a route needs a name of lower-case letters, digits, '-' and '_'", r.Name)
		case seen:
			bad("name", "%q is also the name of routes[%d]", r.Name, j)
		default:
			names[r.Name] = i
		}
		for _, p := range r.Providers {
			if !providers[p] {
				bad("providers", "%q is not a configured provider", p)
			}
		}
		switch r.Action {
		case "":
			r.validateCopy(bad, c.Providers, streamSubjects, c.NATS.Subjects)
		case "drop":
			if r.Subject != "" || len(r.Headers) > 0 {
				bad("action", "a drop route forwards nothing: remove its subject and headers")
			}
		default:
			bad("action", "%q is not drop (leave it out for a copy)", r.Action)
		}
	}
	if _, err := route.Compile(Rules(c.Routes)); err != nil {
		v.bad("routes", "%v", err)
	}
}

// validateCopy checks a copying route's subject and headers.
func (r *Route) validateCopy(bad func(sub, format string, args ...any), providers []Provider, streamSubjects, subjects []string) {
	if r.Subject == "" {
		bad("subject", "a route needs the subject of its copies (or action: drop)")
	} else if err := forward.ValidateTemplate(r.Subject); err != nil {
		bad("subject", "%v", err)
	} else if streamSubjects != nil {
		for _, p := range providers {
			if (len(r.Providers) == 0 || slices.Contains(r.Providers, p.Name)) && providerName.MatchString(p.Name) &&
				!forward.TemplateCovered(r.Subject, p.Name, streamSubjects) {
				bad("subject", "%q for provider %s does not fall inside nats.subjects %q: the stream would not store the copies", r.Subject, p.Name, subjects)
				break
			}
		}
	}
	for name, val := range r.Headers {
		canon := textproto.CanonicalMIMEHeaderKey(name)
		switch {
		case strings.HasPrefix(strings.ToLower(name), "nats-") || strings.HasPrefix(strings.ToLower(name), "ce-") || slices.Contains(ownHeaders, canon):
			bad("headers", "%s is set by NATS or the gateway (ce-*: the cloudevents envelope)", canon)
		case forward.ValidateHeaderName(name) != nil:
			bad("headers", "%q is not a header name: %v", name, forward.ValidateHeaderName(name))
		case strings.ContainsAny(val, "\r\n"):
			bad("headers", "the value of %s has a line break", canon)
		}
	}
}
