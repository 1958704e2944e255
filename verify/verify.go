// Package verify checks webhook signatures on the raw request bytes and holds
// the catalogue of provider presets: for each provider, its scheme, the headers
// it signs with, its replay tolerance and where its event ID and type are.
//
// A Verifier is built from a preset name or generic scheme with New, tries
// every configured secret (rotation), and checks a signed timestamp in both
// directions against the tolerance. Verifiers are safe for concurrent use.
// Sign produces the headers a provider would send, for tests and for
// `hookgate send`. The package does no I/O.
package verify

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"
)

// Errors returned by Verify. Callers match them with errors.Is; the wrapped
// message carries the detail (which header, by how much a timestamp is off).
var (
	// ErrNoSignature means a header the scheme needs is absent or empty.
	ErrNoSignature = errors.New("verify: missing signature header")
	// ErrMalformed means a signature or timestamp header cannot be parsed.
	ErrMalformed = errors.New("verify: malformed signature header")
	// ErrMismatch means no configured secret produced a matching signature.
	ErrMismatch = errors.New("verify: signature mismatch")
	// ErrTooOld means the signed timestamp is older than the tolerance.
	ErrTooOld = errors.New("verify: timestamp too old")
	// ErrTooNew means the signed timestamp is further in the future than the tolerance.
	ErrTooNew = errors.New("verify: timestamp too far in the future")

	// ErrUnknownType is returned by New and Sign for a type that is
	// neither a preset nor a generic scheme.
	ErrUnknownType = errors.New("verify: unknown type")
	// ErrConfig is returned by New and Sign when the options do not fit
	// the scheme.
	ErrConfig = errors.New("verify: invalid options")
)

// Request is the part of an HTTP request that a scheme reads. Body is the raw
// request body, byte for byte as received.
type Request struct {
	Method string
	URL    string // the full URL the provider called, for schemes that sign it
	Header http.Header
	Body   []byte
}

// Options configure one Verifier. Secrets are tried in order; the first that
// matches wins and its index is reported in Result.
type Options struct {
	Secrets []string
	// Tolerance is the replay window for schemes that sign a timestamp.
	// Zero means the preset's default.
	Tolerance time.Duration

	// Generic hmac scheme only; New rejects them for other types.
	Header    string // header that carries the signature
	Prefix    string // prefix before the signature, such as "sha256="
	Algorithm string // sha1, sha256 (default) or sha512
	Encoding  string // hex (default) or base64
}

// Result describes a successful verification.
type Result struct {
	// SecretIndex is the index in Options.Secrets of the secret that matched.
	SecretIndex int
}

// Verifier checks one request. now is the receiver's clock.
type Verifier interface {
	Verify(r *Request, now time.Time) (Result, error)
}

// Preset is one entry of the catalogue: a provider (or generic scheme) with
// its defaults.
type Preset struct {
	Name        string        // type name used in config, e.g. "stripe"
	Scheme      string        // signature scheme family, e.g. "hmac-sha256"
	Description string        // one line for `hookgate providers`
	Headers     []string      // headers the scheme reads
	Tolerance   time.Duration // default replay window; 0 when nothing signed is timed

	// Event identification defaults. Each source is "header:Name" or a JSON
	// field path (gjson syntax) into the body. EventType parts are joined
	// with "." when present (GitHub: event header plus body "action").
	//
	// EventID is one source. Where one scheme is sent under several header
	// names, each name family is its own preset with the same verifier:
	// standard-webhooks and svix both accept webhook-* and svix-* headers,
	// and differ only in the family they prefer, sign with and take the
	// event ID from (webhook-id or svix-id).
	EventID   string
	EventType []string

	// New builds a verifier for this preset. The package function New calls
	// it after the checks common to all presets; use that instead.
	New func(o Options) (Verifier, error)
	// Sign, when not nil, adds the signature headers to r as the provider
	// would, signed with o.Secrets[0] at time now. The package function Sign
	// calls it after the checks common to all presets; use that instead.
	Sign func(r *Request, o Options, now time.Time) error
}

var presets = map[string]Preset{}

// register adds a preset; each scheme file calls it from init.
func register(p Preset) {
	if _, dup := presets[p.Name]; dup {
		panic("verify: preset registered twice: " + p.Name)
	}
	presets[p.Name] = p
}

// Lookup returns the preset with the given name.
func Lookup(name string) (Preset, bool) {
	p, ok := presets[name]
	return p, ok
}

// Presets returns the whole catalogue sorted by name.
func Presets() []Preset {
	out := make([]Preset, 0, len(presets))
	for _, p := range presets {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// New builds the Verifier for a preset or generic scheme name. It returns an
// error wrapping ErrUnknownType for an unknown name and ErrConfig when the
// options are unusable (no secrets, unknown algorithm, a tolerance for a
// scheme that signs no timestamp, ...).
func New(typ string, o Options) (Verifier, error) {
	p, o, err := prepare(typ, o)
	if err != nil {
		return nil, err
	}
	return p.New(o)
}

// Sign adds to r the headers that the provider of preset typ sends: the
// signature computed with o.Secrets[0] at time now, and whatever else the
// scheme signs (a message ID is generated when the scheme needs one and r
// has none). It allocates r.Header when nil. It returns the errors of New,
// and an error wrapping ErrConfig for a preset that cannot sign.
func Sign(typ string, r *Request, o Options, now time.Time) error {
	p, o, err := prepare(typ, o)
	if err != nil {
		return err
	}
	if p.Sign == nil {
		return fmt.Errorf("%s cannot sign: %w", typ, ErrConfig)
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	return p.Sign(r, o, now)
}

// prepare looks up typ and applies the checks and defaults that New and
// Sign share.
func prepare(typ string, o Options) (Preset, Options, error) {
	p, ok := presets[typ]
	if !ok {
		return p, o, fmt.Errorf("type %q: %w", typ, ErrUnknownType)
	}
	if len(o.Secrets) == 0 {
		return p, o, fmt.Errorf("%s needs at least one secret: %w", typ, ErrConfig)
	}
	for i, s := range o.Secrets {
		if s == "" {
			return p, o, fmt.Errorf("%s: secret %d is empty: %w", typ, i, ErrConfig)
		}
	}
	switch {
	case o.Tolerance < 0:
		return p, o, fmt.Errorf("%s: negative tolerance %s: %w", typ, o.Tolerance, ErrConfig)
	case o.Tolerance > 0 && p.Tolerance == 0:
		return p, o, fmt.Errorf("%s signs no timestamp, so a tolerance does not apply: %w", typ, ErrConfig)
	case o.Tolerance == 0:
		o.Tolerance = p.Tolerance
	}
	return p, o, nil
}

// noGeneric returns an error wrapping ErrConfig when o sets an option that
// only the generic hmac scheme reads, so a misplaced option fails loudly.
func noGeneric(typ string, o Options) error {
	if o.Header != "" || o.Prefix != "" || o.Algorithm != "" || o.Encoding != "" {
		return fmt.Errorf("%s: header, prefix, algorithm and encoding apply only to type hmac: %w", typ, ErrConfig)
	}
	return nil
}
