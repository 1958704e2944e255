package asyncapi

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
)

// This file holds the channels and their operations. Their IDs never
// collide: a provider's channel and message are named after it, and the
// others after a prefix and a dot, which no provider or route name holds
// ("stale.<provider>", "route.<route>", "route.<route>.<provider>").

// Subject template placeholders (package forward renders them).
const (
	placeholderProvider = "{provider}"
	placeholderType     = "{type}"
)

// addProvider adds the channel of a provider's events.
func (d *Document) addProvider(p *config.Provider) {
	ch := &Channel{
		Address: renderProvider(p.Subject, p.Name),
		Title:   p.Name + " events",
		Description: fmt.Sprintf("Every event provider %s (type %s) accepts, once, on subject template %q. "+
			"A route with action drop that matches an event keeps it off the bus.", p.Name, p.Type, p.Subject),
	}
	typeParameter(ch, p)
	d.add(p.Name, ch, fmt.Sprintf("The gateway publishes %s's accepted events.", p.Name), map[string]*Message{p.Name: eventMessage(p)})
}

// addStale adds the channel of a provider's stale events (ordering.stale:
// forward).
func (d *Document) addStale(p *config.Provider) {
	ch := &Channel{
		Address: renderProvider(p.Ordering.StaleSubject, p.Name),
		Title:   p.Name + " stale events",
		Description: fmt.Sprintf("Events of provider %s that are older than their entity's current version (ordering.stale: forward), "+
			"on subject template %q, marked with Hookgate-Stale and Hookgate-Current-Version. Routes do not apply to them.", p.Name, p.Ordering.StaleSubject),
	}
	typeParameter(ch, p)
	id := "stale." + p.Name
	d.add(id, ch, fmt.Sprintf("The gateway publishes %s's stale events.", p.Name), map[string]*Message{id: staleMessage(p)})
}

// addRoute adds the channel of a copying route: one message per provider
// whose events it sees.
func (d *Document) addRoute(r *config.Route, all []config.Provider) {
	var seen []*config.Provider
	for i := range all {
		if len(r.Providers) == 0 || slices.Contains(r.Providers, all[i].Name) {
			seen = append(seen, &all[i])
		}
	}
	ch := &Channel{Address: r.Subject, Title: "route " + r.Name}
	cond := "every event"
	if r.When != "" {
		cond = fmt.Sprintf("the events for which `%s` holds", r.When)
	}
	ch.Description = fmt.Sprintf("Copies of %s of %s (route %s, subject template %q), besides the events' own messages.",
		cond, providerList(seen), r.Name, r.Subject)
	if strings.Contains(r.Subject, placeholderProvider) {
		if len(seen) == 1 {
			ch.Address = renderProvider(r.Subject, seen[0].Name)
		} else {
			param := &Parameter{Description: "The provider's name.", Location: "$message.header#/" + forward.HeaderProvider}
			for _, p := range seen {
				param.Enum = append(param.Enum, p.Name)
			}
			ch.parameter("provider", param)
		}
	}
	msgs := map[string]*Message{}
	for _, p := range seen {
		typeParameter(ch, p)
		msgs["route."+r.Name+"."+p.Name] = routeMessage(r, p)
	}
	d.add("route."+r.Name, ch, fmt.Sprintf("The gateway publishes route %s's copies.", r.Name), msgs)
}

// add adds a channel with its messages, and the operation that sends
// them, all under id.
func (d *Document) add(id string, ch *Channel, summary string, msgs map[string]*Message) {
	ch.Messages = map[string]Ref{}
	op := &Operation{Action: "send", Channel: Ref{"#/channels/" + id}, Title: "Publish " + ch.Title, Summary: summary}
	for _, m := range slices.Sorted(maps.Keys(msgs)) {
		d.Components.Messages[m] = msgs[m]
		ch.Messages[m] = Ref{"#/components/messages/" + m}
		op.Messages = append(op.Messages, Ref{"#/channels/" + id + "/messages/" + m})
	}
	d.Channels[id] = ch
	d.Operations[id] = op
}

// renderProvider is the subject template tmpl with {provider} rendered:
// a provider's name is one subject token as it is (forward.Subject).
func renderProvider(tmpl, provider string) string {
	return strings.ReplaceAll(tmpl, placeholderProvider, provider)
}

// typeParameter describes the {type} of ch's address, if it has one, for
// p's events; a channel that several providers share gets a description
// for each.
func typeParameter(ch *Channel, p *config.Provider) {
	if !strings.Contains(ch.Address, placeholderType) {
		return
	}
	desc := "The event type, one or more subject tokens: its '.' and '/' separate tokens " +
		"(orders/create gives orders.create), other characters NATS does not allow in a token become '_', an empty token is `unknown`, " +
		"and it is cut to 256 bytes; an event without a type gives `unknown`. Hookgate-Event-Type holds the type unchanged."
	if prev := ch.Parameters[strings.Trim(placeholderType, "{}")]; prev != nil {
		desc = prev.Description
	}
	ch.parameter(strings.Trim(placeholderType, "{}"), &Parameter{Description: desc + " " + p.Name + ": " + eventTypes(p)})
}

// parameter sets ch's parameter name.
func (ch *Channel) parameter(name string, p *Parameter) {
	if ch.Parameters == nil {
		ch.Parameters = map[string]*Parameter{}
	}
	ch.Parameters[name] = p
}

// providerList names providers for a description.
func providerList(ps []*config.Provider) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	if len(names) == 1 {
		return "provider " + names[0]
	}
	return "providers " + strings.Join(names, ", ")
}
