package verify

import "fmt"

// Info is what the catalogue says of a preset, as data: `hookgate
// providers -json` prints it, and the README's provider table is made from
// it.
type Info struct {
	Name        string   `json:"name"`
	Aliases     []string `json:"aliases,omitempty"`
	Scheme      string   `json:"scheme"`
	Description string   `json:"description"`
	// Headers are the request headers the scheme reads.
	Headers []string `json:"signature_headers,omitempty"`
	// Tolerance is the replay window of a signed timestamp ("" when the
	// scheme signs none), as a Go duration.
	Tolerance string `json:"tolerance,omitempty"`
	// Identify defaults: sources of the event ID and type ("header:Name"
	// or a JSON path of the body), and of the envelope's fields. An
	// empty EventID means the ID is the SHA-256 of the body, or the one
	// the scheme signs (Standard Webhooks' webhook-id).
	EventID    string   `json:"event_id,omitempty"`
	EventType  []string `json:"event_type,omitempty"`
	CreatedAt  string   `json:"created_at,omitempty"`
	APIVersion string   `json:"api_version,omitempty"`
	// Ordering is the natural version the preset offers
	// (ordering.preset), if any.
	Ordering *OrderingInfo `json:"ordering,omitempty"`
	// Options are the scheme options it takes; Methods its HTTP methods
	// (POST when empty); NoSecret that it needs no secret.
	Options  []string `json:"options,omitempty"`
	Methods  []string `json:"methods,omitempty"`
	NoSecret bool     `json:"no_secret,omitempty"`
	// Success is the answer the provider expects to a delivered event
	// (accepted, duplicate or stale); absent: hookgate's own (202 or 200
	// with a JSON body).
	Success *SuccessInfo `json:"success_response,omitempty"`
	// Handshake is the non-event request the preset answers, in one line
	// ("" when the provider sends none).
	Handshake string `json:"handshake,omitempty"`
	// IDSigned is whether the signature covers the event ID (see
	// Preset.IDSigned); where it does not, a captured request can be sent
	// again under a new ID, and dedupe.body_hash catches it.
	IDSigned bool `json:"id_signed"`
	// BodyUnsigned is that the signature does not cover the raw body (a
	// shared token, basic auth, a MAC of some fields only).
	BodyUnsigned bool `json:"body_unsigned,omitempty"`
	// Vectors is where the preset's conformance vectors come from (absent
	// for the generic schemes, which have their own tests).
	Vectors *VectorSources `json:"vectors,omitempty"`
}

// VectorSources says where a preset's conformance vectors (in the
// repository's verify/testdata) come from: the provider's documents or
// SDK files they follow or copy, and whether a valid one is copied from
// the provider's docs or official SDK tests rather than recomputed.
type VectorSources struct {
	Official bool     `json:"official"`
	Sources  []string `json:"sources"`
}

// OrderingInfo is a preset's natural version: the sources of the entity
// key and its version, and the version's format.
type OrderingInfo struct {
	Key     string `json:"key"`
	Version string `json:"version"`
	Format  string `json:"format"`
}

// SuccessInfo is a preset's success answer.
type SuccessInfo struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type,omitempty"`
	Body        string `json:"body"`
}

// String is the answer in a few words: "200, empty body".
func (s *SuccessInfo) String() string {
	if s.Body == "" {
		return fmt.Sprintf("%d, empty body", s.Status)
	}
	return fmt.Sprintf("%d, %s %q", s.Status, s.ContentType, s.Body)
}

// Info returns p as data.
func (p Preset) Info() Info {
	i := Info{
		Name: p.Name, Aliases: p.Aliases, Scheme: p.Scheme, Description: p.Description, Headers: p.Headers,
		EventID: p.EventID, EventType: p.EventType, CreatedAt: p.CreatedAt, APIVersion: p.APIVersion, Ordering: p.Ordering,
		Options: p.Options, Methods: p.Methods, NoSecret: p.NoSecret, Handshake: p.Handshake, IDSigned: p.IDSigned(), BodyUnsigned: p.BodyUnsigned,
	}
	if v, ok := vectorSources[p.Name]; ok {
		i.Vectors = &v
	}
	if p.Tolerance > 0 {
		i.Tolerance = p.Tolerance.String()
	}
	if a := p.Success; a != nil {
		i.Success = &SuccessInfo{Status: a.Status, ContentType: a.ContentType, Body: string(a.Body)}
		if i.Success.Status == 0 {
			i.Success.Status = 200
		}
	}
	return i
}
