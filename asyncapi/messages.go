package asyncapi

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/verify"
)

// This file holds the messages: their headers as the gateway sets them
// (gateway/handler.go provider.event, gateway/rules.go for a route's copy,
// webhook.Event.StaleMessage for a stale event) and their payload as the
// provider's envelope shapes it (envelope.go).

// contentType is the header of the body's media type.
const contentType = "Content-Type"

// eventMessage is a provider's accepted event, on its own subject.
func eventMessage(p *config.Provider) *Message {
	m := message(p, p.Name)
	m.Title = p.Name + " event"
	m.Summary = fmt.Sprintf("An event provider %s accepted.", p.Name)
	return m
}

// staleMessage is a provider's stale event, forwarded marked: the event's
// message with two more headers. A stale event is always an ordered one.
func staleMessage(p *config.Provider) *Message {
	m := message(p, "stale."+p.Name)
	m.Title = p.Name + " stale event"
	m.Summary = fmt.Sprintf("An event of provider %s older than its entity's current version.", p.Name)
	h := m.Headers
	h.set(forward.HeaderStale, true, &Schema{Type: "string", Const: "true", Description: "Marks a stale event (ordering.stale: forward)."})
	h.set(forward.HeaderCurrentVersion, true, &Schema{Type: "string", Pattern: `^-?[0-9]+$`,
		Description: "The entity's current comparable version, which the event is older than: an integer (a time is in unix microseconds)."})
	h.require(forward.HeaderOrderingKey, forward.HeaderOrderingVersion)
	if p.Envelope == config.EnvelopeCloudEvents {
		h.require(ceSubject)
	}
	return m
}

// routeMessage is the copy of p's event that route r adds: the event's
// message with the route's headers.
func routeMessage(r *config.Route, p *config.Provider) *Message {
	m := message(p, "route."+r.Name+"."+p.Name)
	m.Title = p.Name + " event, route " + r.Name
	m.Summary = fmt.Sprintf("The copy of an event of provider %s that route %s adds.", p.Name, r.Name)
	h := m.Headers
	h.set(forward.HeaderMsgID, true, &Schema{Type: "string", Pattern: "^" + p.Name + "@" + r.Name + ":.+",
		Description: "`<provider>@<route>:<event id>`: JetStream drops a message whose ID it stored within the stream's duplicate window. " +
			"A replay's copy ends in `:replay:<replay id>`."})
	h.set(forward.HeaderRoute, true, &Schema{Type: "string", Const: r.Name, Description: "The route whose copy this is."})
	for _, k := range slices.Sorted(maps.Keys(r.Headers)) {
		h.set(http.CanonicalHeaderKey(k), true, &Schema{Type: "string", Const: r.Headers[k], Description: "Set by route " + r.Name + " (headers)."})
	}
	return m
}

// message is the message of p's events: headers, payload and their
// description.
func message(p *config.Provider, name string) *Message {
	preset, _ := verify.Lookup(p.Type)
	m := &Message{Name: name, Headers: eventHeaders(p, preset)}
	m.Payload, m.ContentType = payload(p, preset)
	m.Description = envelopeText(p.Envelope) + " Event type: " + eventTypes(p)
	return m
}

// eventHeaders are the headers of p's events.
func eventHeaders(p *config.Provider, preset verify.Preset) *Schema {
	h := &Schema{Type: "object", Description: "NATS message headers, one value each."}
	h.set(forward.HeaderMsgID, true, &Schema{Type: "string", Pattern: "^" + p.Name + ":.+",
		Description: "`<provider>:<event id>`: JetStream drops a message whose ID it stored within the stream's duplicate window. " +
			"A replay's copy ends in `:replay:<replay id>`."})
	h.set(forward.HeaderProvider, true, &Schema{Type: "string", Const: p.Name, Description: "The provider's name."})
	h.set(forward.HeaderEventID, true, &Schema{Type: "string", Description: eventID(p, preset)})
	h.set(forward.HeaderEventType, true, &Schema{Type: "string",
		Description: "The event type as the provider gives it, '/' and all; empty when the event has none. Event type: " + eventTypes(p)})
	h.set(forward.HeaderReceivedAt, true, &Schema{Type: "string", Format: "date-time", Description: "When the gateway received the request (RFC 3339, UTC)."})
	if o := p.Ordering; o.Enabled() {
		format := o.Format
		if format == "" {
			format = "auto"
		}
		h.set(forward.HeaderOrderingKey, false, &Schema{Type: "string",
			Description: fmt.Sprintf("The entity the event is about, from `%s` (ordering.key), when the event has one: the gateway orders an entity's events by version (last writer wins).", o.Key)})
		h.set(forward.HeaderOrderingVersion, false, &Schema{Type: "string",
			Description: fmt.Sprintf("The entity's version as the event gives it, from `%s` (ordering.version, format %s), with Hookgate-Ordering-Key.", o.Version, format)})
	}
	h.set(forward.HeaderReplay, false, &Schema{Type: "string",
		Description: "The replay's ID, on a copy of an archived event published again (`hookgate replay`, POST /admin/replay); absent on the original."})
	h.set(bussig.Header, false, &Schema{Type: "string",
		Description: "Present when the gateway signs messages (nats.sign; then required): `t=<unix seconds>,k=<key ID>,v1=<base64 Ed25519 signature>`, " +
			"a signature over the Nats-Msg-Id, the subject, the other headers and the body (package bussig verifies it)."})
	h.set(contentType, false, &Schema{Type: "string", Description: "The request's Content-Type, the body's media type, when the request had one."})
	for _, name := range p.PassHeaders {
		name = http.CanonicalHeaderKey(name)
		if h.Properties[name] == nil {
			h.set(name, false, &Schema{Type: "string", Description: "Copied from the request (pass_headers), when it had it."})
		}
	}
	switch p.Envelope {
	case config.EnvelopeCloudEvents:
		cloudEventsHeaders(h, p, preset)
	case config.EnvelopeJSON:
		h.set(contentType, true, &Schema{Type: "string", Const: "application/json", Description: "The json envelope is JSON."})
	}
	return h
}

// eventID says where p's event IDs come from.
func eventID(p *config.Provider, preset verify.Preset) string {
	const none = "; when the event has none, `sha256:` and the hex SHA-256 of the body. A retry of the event has the same ID, and is not published again."
	switch {
	case p.Identify.EventID != "":
		return fmt.Sprintf("The event ID, from `%s` (identify.event_id)%s", p.Identify.EventID, none)
	case preset.EventID != "":
		return fmt.Sprintf("The event ID, from `%s`%s", preset.EventID, none)
	}
	return "The event ID as the signature scheme gives it" + none
}

// eventTypes says which event types p's events have: where the type is
// read, and that the catalogue lists none (it has no lists of types).
func eventTypes(p *config.Provider) string {
	preset, _ := verify.Lookup(p.Type)
	srcs, from := []string(p.Identify.EventType), " (identify.event_type)"
	if len(srcs) == 0 {
		srcs, from = preset.EventType, ""
	}
	var s string
	switch len(srcs) {
	case 0:
		s = fmt.Sprintf("none: the %s preset names no source of the event type, and identify.event_type is not set", preset.Name)
	case 1:
		s = fmt.Sprintf("read from `%s`%s", srcs[0], from)
	default:
		s = fmt.Sprintf("read from `%s`%s, the values present joined with '.'", strings.Join(srcs, "` + `"), from)
	}
	return s + fmt.Sprintf("; hookgate's catalogue lists no event types for %s, so none are listed.", preset.Name)
}

// set adds the property name to the object schema s, required or not.
func (s *Schema) set(name string, required bool, prop *Schema) {
	if s.Properties == nil {
		s.Properties = map[string]*Schema{}
	}
	s.Properties[name] = prop
	s.Required = slices.DeleteFunc(s.Required, func(r string) bool { return r == name })
	if required {
		s.require(name)
	}
}

// require makes the properties names of s required.
func (s *Schema) require(names ...string) {
	for _, n := range names {
		if !slices.Contains(s.Required, n) {
			s.Required = append(s.Required, n)
		}
	}
	slices.Sort(s.Required)
}
