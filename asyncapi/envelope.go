package asyncapi

import (
	"fmt"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/verify"
)

// This file describes the envelopes (README "Envelopes"), as package
// gateway makes them (gateway/envelope.go).

// CloudEvents attributes, as NATS headers (the NATS protocol binding's
// binary content mode).
const (
	ceSpecVersion     = "ce-specversion"
	ceID              = "ce-id"
	ceSource          = "ce-source"
	ceType            = "ce-type"
	ceTime            = "ce-time"
	ceSubject         = "ce-subject"
	ceDataContentType = "ce-datacontenttype"
)

// ceSourcePrefix and the provider's name are the ce-source the gateway
// sets (gateway/envelope.go; TestMessagesConform compares them).
const ceSourcePrefix = "hookgate/"

// envelopeText says what the message body holds with envelope kind.
func envelopeText(kind string) string {
	switch kind {
	case config.EnvelopeCloudEvents:
		return "Envelope cloudevents: CloudEvents 1.0 in the NATS protocol binding's binary content mode, " +
			"the attributes are the ce-* headers (percent-encoded) and the payload is the provider's body, byte for byte."
	case config.EnvelopeJSON:
		return "Envelope json: the payload is a JSON object with the event's identity around the provider's body."
	}
	return "Envelope raw: the payload is the provider's body, byte for byte."
}

// payload is the schema of the body of p's messages, and its content
// type when the envelope fixes it.
func payload(p *config.Provider, preset verify.Preset) (*Schema, string) {
	if p.Envelope == config.EnvelopeJSON {
		return jsonEnvelope(p, preset), "application/json"
	}
	return &Schema{Title: p.Name + " body", Description: "The provider's request body, byte for byte (not re-encoded): JSON for most providers, " +
		"a form or XML for some. Its media type is the Content-Type header, when the request had one."}, ""
}

// jsonEnvelope is the schema of the json envelope of p's events: exactly
// these members, those the event lacks left out.
func jsonEnvelope(p *config.Provider, preset verify.Preset) *Schema {
	closed := false
	s := &Schema{Title: p.Name + " json envelope", Type: "object", AdditionalProperties: &closed,
		Description: "hookgate's json envelope: the event's identity, and the provider's body in data or, for a body that is not UTF-8 (JSON or not), in data_base64 " +
			"(exactly one of them). A member the event lacks is left out, never invented."}
	s.set("id", true, &Schema{Type: "string", Description: "The event ID, as in Hookgate-Event-Id."})
	s.set("type", false, &Schema{Type: "string", Description: "The event type, as in Hookgate-Event-Type; absent when the event has none."})
	s.set("provider", true, &Schema{Type: "string", Const: p.Name, Description: "The provider's name."})
	if preset.CreatedAt != "" {
		s.set("created_at", false, &Schema{Type: "string", Format: "date-time",
			Description: fmt.Sprintf("When the provider says the event happened, from `%s`, in RFC 3339 (UTC); absent when the event lacks it.", preset.CreatedAt)})
	}
	if preset.APIVersion != "" {
		s.set("api_version", false, &Schema{Type: "string",
			Description: fmt.Sprintf("The provider's API version the body is rendered in, from `%s`; absent when the event lacks it.", preset.APIVersion)})
	}
	s.set("received_at", true, &Schema{Type: "string", Format: "date-time", Description: "When the gateway received the request, as in Hookgate-Received-At."})
	s.set("data", false, &Schema{Description: "The provider's body: its JSON as it came, byte for byte; a UTF-8 body that is not JSON is a string."})
	s.set("content_type", false, &Schema{Type: "string", Description: "With a body that is not JSON, or not UTF-8: the request's Content-Type, when it had one."})
	s.set("data_base64", false, &Schema{Type: "string", ContentEncoding: "base64", Description: "A body that is not UTF-8, JSON or not, in standard base64, instead of data."})
	return s
}

// cloudEventsHeaders adds the CloudEvents attributes to the headers h of
// p's events.
func cloudEventsHeaders(h *Schema, p *config.Provider, preset verify.Preset) {
	h.set(ceSpecVersion, true, &Schema{Type: "string", Const: "1.0", Description: "CloudEvents specversion."})
	h.set(ceID, true, &Schema{Type: "string", Description: "CloudEvents id: the event ID (Hookgate-Event-Id), percent-encoded."})
	h.set(ceSource, true, &Schema{Type: "string", Const: ceSourcePrefix + p.Name, Description: "CloudEvents source: the gateway's provider."})
	h.set(ceType, true, &Schema{Type: "string", Description: "CloudEvents type: the event type (Hookgate-Event-Type), `unknown` when the event has none, percent-encoded."})
	when := "when the event was received (Hookgate-Received-At): the " + preset.Name + " preset names no time of the event"
	if preset.CreatedAt != "" {
		when = fmt.Sprintf("when the provider says the event happened (from `%s`), or else when it was received", preset.CreatedAt)
	}
	h.set(ceTime, true, &Schema{Type: "string", Format: "date-time", Description: "CloudEvents time: " + when + "."})
	if p.Ordering.Enabled() {
		h.set(ceSubject, false, &Schema{Type: "string", Description: "CloudEvents subject: the ordering key (Hookgate-Ordering-Key), when the event has one, percent-encoded."})
	}
	h.set(ceDataContentType, false, &Schema{Type: "string",
		Description: "CloudEvents datacontenttype: the request's Content-Type, when it had one, percent-encoded (`application/json;%20charset=utf-8`)."})
}
