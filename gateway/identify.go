package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/tidwall/gjson"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/internal/jsondepth"
	"github.com/hookgate/hookgate/ordering"
	"github.com/hookgate/hookgate/verify"
)

// source says where one value of an event is: a request header or a JSON
// field of the body (gjson path syntax). Reading a field never decodes the
// whole body.
type source struct {
	header string // canonical header name, or ""
	path   string // JSON path when header is ""
	spec   string // as written, for messages
	slot   int    // an identifier's: the path's place in its fieldReader; -1 none
}

func parseSource(spec string) source {
	if name, ok := strings.CutPrefix(spec, "header:"); ok {
		return source{header: http.CanonicalHeaderKey(strings.TrimSpace(name)), spec: spec, slot: -1}
	}
	return source{path: spec, spec: spec, slot: -1}
}

// get returns the value and whether it was present. A JSON string gives its
// text, a number or boolean its literal; objects, arrays and null count as
// absent. The value is trimmed (see present).
func (s source) get(h http.Header, body []byte) (string, bool) {
	if s.header != "" {
		return present(h.Get(s.header))
	}
	return value(gjson.GetBytes(body, s.path))
}

// read is get for a source of an identifier, whose JSON fields were read
// in advance (fieldReader.read); nil fields: the body has none.
func (s source) read(h http.Header, fields []gjson.Result) (string, bool) {
	if s.header != "" {
		return present(h.Get(s.header))
	}
	if s.path == "" || s.slot < 0 || fields == nil {
		return "", false // no source (a zero one), or no JSON body
	}
	return value(fields[s.slot])
}

// value is what get returns for a JSON field.
func value(r gjson.Result) (string, bool) {
	switch r.Type {
	case gjson.String:
		return present(r.Str)
	case gjson.Number, gjson.True, gjson.False:
		return r.Raw, true
	default:
		return "", false
	}
}

// present trims the white space around v, a value of the event's identity
// as the request gives it, and reports whether anything is left. Every
// value passes here, whatever its source, so that event IDs (types,
// ordering keys) that differ only by surrounding white space are one.
// Line breaks are not trimmed: identify refuses them wherever they are.
func present(v string) (string, bool) {
	v = strings.TrimFunc(v, func(r rune) bool { return r != '\n' && r != '\r' && unicode.IsSpace(r) })
	return v, v != ""
}

// identity is what identify finds in a request.
type identity struct {
	ID         string
	Type       string
	Ordered    bool
	Entity     string // ordering key as found
	VersionRaw string
	Version    int64
	Kind       ordering.Kind // what Version counts
}

// identifier extracts the identity of a provider's events.
type identifier struct {
	id       source   // zero: SHA-256 of the body
	types    []source // joined with "." when present
	key, ver source
	ordered  bool
	format   ordering.Format
	// orderingJSON is set when ordering reads the body: a body that is not
	// JSON then cannot be decided and is malformed. The event ID and type
	// are merely absent from such a body (a Slack slash command is a form).
	orderingJSON bool
	// readsJSON is set when any source is a JSON path: only then is the
	// body validated, and fields reads the paths.
	readsJSON bool
	fields    fieldReader
	// configuredID and configuredType are set when the provider's
	// identify section names the event ID or type sources: they then win
	// over the ID or type the scheme reports.
	configuredID, configuredType bool
}

func newIdentifier(eventID string, eventType []string, o config.Ordering) (*identifier, error) {
	idf := &identifier{ordered: o.Enabled()}
	if eventID != "" {
		idf.id = parseSource(eventID)
	}
	for _, t := range eventType {
		idf.types = append(idf.types, parseSource(t))
	}
	if idf.ordered {
		idf.key, idf.ver = parseSource(o.Key), parseSource(o.Version)
		f, err := ordering.ParseFormat(o.Format)
		if err != nil {
			return nil, err
		}
		idf.format = f
	}
	idf.orderingJSON = idf.ordered && (idf.key.path != "" || idf.ver.path != "")
	sources := []*source{&idf.id, &idf.key, &idf.ver}
	for i := range idf.types {
		sources = append(sources, &idf.types[i])
	}
	for _, s := range sources {
		if s.path != "" {
			s.slot = idf.fields.add(s.path)
		}
	}
	idf.readsJSON = len(idf.fields.paths) > 0
	return idf, nil
}

// identify reads the event's identity. scheme is what the verifier found:
// its ID (the signed Standard Webhooks message ID, a Slack form's
// trigger_id) and Type (a Slack form's slash_command or interaction type)
// take the place of the preset's sources unless the provider configures
// its own. An event without an ID is identified by "sha256:" and the hex
// SHA-256 of its body; one without a type gets an empty type (the subject
// says "unknown"). JSON fields of a body that is not JSON are absent. An
// event whose ordering key is absent is not ordered; one whose key is
// present but whose version is absent or unparsable, or whose body is not
// JSON while ordering reads it, is malformed; a body that nests arrays
// and objects deeper than jsondepth.Max (encoding/json's limit) is not
// JSON. Every value is trimmed of surrounding white space (see present),
// and one holding a line break or NUL is malformed.
func (idf *identifier) identify(h http.Header, body []byte, scheme verify.Result) (identity, error) {
	var id identity
	var buf [8]gjson.Result
	var fields []gjson.Result // the JSON fields, by slot; nil: none is present
	if idf.readsJSON {
		// A body nested deeper than jsondepth.Max is not JSON: gjson
		// recurses per level, and would overflow the stack on a few MiB
		// of '['.
		deep := !jsondepth.Within(body, jsondepth.Max)
		switch {
		case !deep && gjson.ValidBytes(body):
			fields = idf.fields.read(body, buf[:0])
		case idf.orderingJSON && deep:
			return id, fmt.Errorf("%w: body nests JSON deeper than %d levels, and ordering reads it", ErrMalformed, jsondepth.Max)
		case idf.orderingJSON:
			return id, fmt.Errorf("%w: body is not valid JSON, and ordering reads it", ErrMalformed)
		}
	}
	schemeID, ok := present(scheme.ID)
	switch {
	case ok && !idf.configuredID:
		id.ID = schemeID
	case idf.id.spec != "":
		id.ID, _ = idf.id.read(h, fields)
	}
	if id.ID == "" {
		sum := sha256.Sum256(body)
		id.ID = "sha256:" + hex.EncodeToString(sum[:])
	}
	if schemeType, ok := present(scheme.Type); ok && !idf.configuredType {
		id.Type = schemeType
	} else {
		var parts []string
		for _, s := range idf.types {
			if v, ok := s.read(h, fields); ok {
				parts = append(parts, v)
			}
		}
		id.Type = strings.Join(parts, ".")
	}
	if idf.ordered {
		// An event without its ordering key is not ordered; its other
		// values are still checked below.
		if key, ok := idf.key.read(h, fields); ok {
			raw, ok := idf.ver.read(h, fields)
			if !ok {
				return id, fmt.Errorf("%w: ordering version %s is missing for entity %q", ErrMalformed, idf.ver.spec, clip(key))
			}
			if len(raw) > MaxOrderingVersion {
				return id, fmt.Errorf("%w: the ordering version (%s) is %d bytes; the limit is %d", ErrValueTooLong, idf.ver.spec, len(raw), MaxOrderingVersion)
			}
			v, kind, err := ordering.ParseVersion(raw, idf.format)
			if err != nil {
				return id, fmt.Errorf("%w: ordering version %s: %w", ErrMalformed, idf.ver.spec, err)
			}
			id.Ordered, id.Entity, id.VersionRaw, id.Version, id.Kind = true, key, raw, v, kind
		}
	}
	// The values travel as NATS header values, where a line break would end
	// the header: a request carrying one is malformed, not a storage fault.
	// Their lengths are bounded so that a message's headers always fit what
	// JetStream stores.
	for _, f := range [...]struct {
		name, v string
		src     source
		max     int
	}{
		{"event ID", id.ID, idf.id, MaxEventID},
		{"event type", id.Type, source{}, MaxEventType},
		{"ordering key", id.Entity, idf.key, MaxOrderingKey},
		{"ordering version", id.VersionRaw, idf.ver, MaxOrderingVersion},
	} {
		from := ""
		if f.src.spec != "" {
			from = " (" + f.src.spec + ")"
		}
		if len(f.v) > f.max {
			return id, fmt.Errorf("%w: the %s%s is %d bytes; the limit is %d", ErrValueTooLong, f.name, from, len(f.v), f.max)
		}
		if strings.ContainsAny(f.v, "\r\n\x00") {
			return id, fmt.Errorf("%w: the %s%s %q contains a line break or NUL", ErrMalformed, f.name, from, clip(f.v))
		}
	}
	return id, nil
}

// Length limits of the values that travel in a message's NATS headers
// (Hookgate-Event-Id and Nats-Msg-Id, Hookgate-Event-Type,
// Hookgate-Ordering-Key, Hookgate-Ordering-Version, Content-Type, passed
// headers). A
// request with a longer one gets 400 naming it, and nothing is recorded.
// Together they keep a message's header block far below what JetStream
// stores (forward.MaxHeaderSize, 64 KiB).
const (
	MaxEventID         = 256
	MaxEventType       = 256
	MaxOrderingKey     = 256
	MaxOrderingVersion = 64
	MaxContentType     = 256
	// MaxPassHeader bounds one passed header's value, MaxPassHeaders all
	// the passed headers' values of one request together.
	MaxPassHeader  = 4 << 10
	MaxPassHeaders = 16 << 10
)
