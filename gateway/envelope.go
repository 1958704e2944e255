package gateway

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/verify"
)

// envelope shapes a provider's NATS message (config's envelope): raw
// leaves it as it is, cloudevents adds the CloudEvents attributes as
// headers, json wraps the body. Every envelope keeps the Hookgate-*
// headers, so a consumer reads the event's ID, type and provider without
// parsing the body. The message is shaped once, when the event is
// received: the archive keeps it so, and a replay publishes it as it was.
type envelope struct {
	kind string // config.EnvelopeRaw, EnvelopeCloudEvents or EnvelopeJSON
	// createdAt and apiVersion are the preset's sources of the time the
	// provider says the event happened and of the API version of the
	// body (zero: the provider has none).
	createdAt, apiVersion source
}

func newEnvelope(kind string, p verify.Preset) envelope {
	e := envelope{kind: kind}
	if p.CreatedAt != "" {
		e.createdAt = parseSource(p.CreatedAt)
	}
	if p.APIVersion != "" {
		e.apiVersion = parseSource(p.APIVersion)
	}
	return e
}

// CloudEvents: the attributes hookgate sets, as NATS headers (the NATS
// protocol binding, binary content mode: every attribute is a header named
// "ce-" and the attribute's name, datacontenttype included).
const (
	ceSpecVersion     = "ce-specversion"
	ceID              = "ce-id"
	ceSource          = "ce-source"
	ceType            = "ce-type"
	ceTime            = "ce-time"
	ceSubject         = "ce-subject"
	ceDataContentType = "ce-datacontenttype"
)

// envelopeInput is what an envelope is made of.
type envelopeInput struct {
	provider   string
	id         identity
	receivedAt string // the Hookgate-Received-At value
	ct         string // the request's Content-Type
	h          http.Header
	body       []byte
	isJSON     bool // body is valid JSON: set by apply
}

// apply shapes the message: it may add to hdr, and returns the body to
// send (in's body itself, or a new one).
func (e envelope) apply(hdr nats.Header, in envelopeInput) []byte {
	if e.kind == config.EnvelopeRaw || e.kind == "" {
		return in.body
	}
	in.isJSON = json.Valid(in.body)
	switch e.kind {
	case config.EnvelopeCloudEvents:
		e.cloudEvents(hdr, in)
		return in.body
	case config.EnvelopeJSON:
		b := e.json(in)
		hdr["Content-Type"] = []string{"application/json"}
		return b
	default:
		return in.body
	}
}

// cloudEvents sets the CloudEvents 1.0 attributes: id is the event ID,
// source hookgate/<provider>, type the event type ("unknown" when it has
// none: the attribute is required), time when the provider says the event
// happened, or else when it was received, subject the ordering key when
// the event has one, and datacontenttype the request's Content-Type when
// it has one. Values are percent-encoded as the binding says.
func (e envelope) cloudEvents(hdr nats.Header, in envelopeInput) {
	typ := in.id.Type
	if typ == "" {
		typ = "unknown"
	}
	t := in.receivedAt
	if created, ok := e.created(in); ok {
		t = created
	}
	set := func(name, v string) { hdr[name] = []string{ceEncode(v)} }
	set(ceSpecVersion, "1.0")
	set(ceID, in.id.ID)
	set(ceSource, "hookgate/"+in.provider)
	set(ceType, typ)
	set(ceTime, t)
	if in.id.Ordered {
		set(ceSubject, in.id.Entity)
	}
	if in.ct != "" {
		set(ceDataContentType, in.ct)
	}
}

// ceEncode percent-encodes a header value as the CloudEvents NATS binding
// asks: space, '"', '%' and every byte outside printable ASCII (each byte
// of a character's UTF-8 encoding) become %XX. Invalid UTF-8 is replaced
// first: the binding's decoders reject it.
func ceEncode(v string) string {
	const hex = "0123456789ABCDEF"
	clean := true
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '%' {
			clean = false
			break
		}
	}
	if clean {
		return v
	}
	v = strings.ToValidUTF8(v, "\uFFFD")
	var b strings.Builder
	b.Grow(len(v) * 3)
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '%' {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// json returns the json envelope: {"id", "type", "provider", "created_at",
// "api_version", "received_at", "data"}, members absent when the event has
// no such value. A JSON body in UTF-8 is data byte for byte; any other
// body is data as a string, with "content_type" the request's
// Content-Type (when it has one), or "data_base64" when it is not UTF-8:
// a JSON body too (json.Valid does not check the encoding), which
// embedded as it is would make the envelope JSON that RFC 8259 refuses.
func (e envelope) json(in envelopeInput) []byte {
	b := make([]byte, 0, len(in.body)+256)
	b = append(b, '{')
	b = appendMember(b, "id", in.id.ID, true)
	b = appendMember(b, "type", in.id.Type, false)
	b = appendMember(b, "provider", in.provider, false)
	if created, ok := e.created(in); ok {
		b = appendMember(b, "created_at", created, false)
	}
	if e.apiVersion.spec != "" {
		if v, ok := e.apiVersion.get(in.h, e.doc(in)); ok {
			b = appendMember(b, "api_version", v, false)
		}
	}
	b = appendMember(b, "received_at", in.receivedAt, false)
	text := utf8.Valid(in.body)
	switch {
	case in.isJSON && text:
		b = append(append(b, `,"data":`...), in.body...)
	case text:
		b = appendMember(b, "content_type", in.ct, false)
		b = appendJSONString(append(b, `,"data":`...), string(in.body))
	default:
		b = appendMember(b, "content_type", in.ct, false)
		b = append(b, `,"data_base64":"`...)
		b = base64.StdEncoding.AppendEncode(b, in.body)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendMember appends "k":"v" to the object being written in b, after a
// comma unless first; an empty v is left out.
func appendMember(b []byte, k, v string, first bool) []byte {
	if v == "" {
		return b
	}
	if !first {
		b = append(b, ',')
	}
	return appendJSONString(append(appendJSONString(b, k), ':'), v)
}

// doc is where the envelope's JSON fields are read: the body, or nothing
// when it is not JSON.
func (e envelope) doc(in envelopeInput) []byte {
	if in.isJSON {
		return in.body
	}
	return nil
}

// created returns when the provider says the event happened, as an RFC
// 3339 time in UTC: the preset's CreatedAt, unix seconds when it is
// digits, otherwise an RFC 3339 time. Absent or unreadable, there is none.
func (e envelope) created(in envelopeInput) (string, bool) {
	if e.createdAt.spec == "" {
		return "", false
	}
	v, ok := e.createdAt.get(in.h, e.doc(in))
	if !ok {
		return "", false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > 253402300799 { // past 9999-12-31: not RFC 3339
			return "", false
		}
		return time.Unix(n, 0).UTC().Format(time.RFC3339), true
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return "", false
	}
	return t.UTC().Format(time.RFC3339Nano), true
}
