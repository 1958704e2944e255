package verify

import (
	"sort"
	"strings"
	"time"
)

// This file holds the catalogue: the Preset type, the registry the scheme
// files fill from init, and the helpers that build a preset's New and Sign.

// Preset is one entry of the catalogue: a provider (or generic scheme) with
// its defaults.
type Preset struct {
	Name        string        // type name used in config, e.g. "stripe"
	Aliases     []string      // other names accepted in config, e.g. "discord"
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
	// and differ only in the family they prefer and sign with. Both report
	// the signed ID of the family they verified in Result.ID, which takes
	// the place of EventID (webhook-id or svix-id).
	EventID   string
	EventType []string

	// Envelope fields, for the json envelope (and the CloudEvents time):
	// sources in the same syntax, set only where the provider documents
	// the field; empty means the provider has none, and the envelope then
	// omits it. CreatedAt is when the provider says the event happened: a
	// number (or a string of digits) is unix seconds, any other value an
	// RFC 3339 time. APIVersion is the API version the body is rendered in.
	CreatedAt  string
	APIVersion string

	// Ordering is the provider's natural version of an entity, where it
	// has one (Contentful's sys.version, an object's updated_at): the
	// entity key and version sources and the version's format (package
	// ordering's names: "unix", "rfc3339", "sequence", ...). It is not on
	// by default, since it drops stale events: a provider's
	// ordering.preset turns it on.
	Ordering *OrderingInfo

	// Options names the optional Options fields this preset reads (by
	// their config names: "header", "jwks_url", ...). Secrets, NotAfter
	// and Tolerance are always allowed.
	Options []string
	// Methods are the HTTP methods the provider uses; nil means POST. A
	// GET handshake (Meta's hub.challenge) adds GET.
	Methods []string
	// NoSecret means the preset needs no secret (a handshake-only or
	// claims-only scheme); New then accepts empty Secrets.
	NoSecret bool
	// Success, when set, is the answer the provider expects to a delivery
	// it may stop retrying: an accepted event, a duplicate and a stale one
	// alike (Xero: 200 with an empty body, where hookgate's own answer is
	// 202 with JSON). Nil: hookgate's answers.
	Success *Response
	// Handshake, when the provider sends a request that is not an event
	// (a URL verification, a challenge to echo, a subscription to
	// confirm), says in one line what it is and how hookgate answers it:
	// `hookgate providers` and the README show it.
	Handshake string

	// What the signature covers, for the event ID: BodyUnsigned means the
	// signature does not cover the raw body (a shared token, basic auth, a
	// JWT without a hash of the body, a MAC of some fields only);
	// IDSourceSigned that the source EventID names is among what the
	// scheme signs although the body as a whole is not (a signed header,
	// or a body field a MAC of some fields covers). IDSigned reads both.
	BodyUnsigned   bool
	IDSourceSigned bool

	// acts means the verifier's Results may carry an action to run once
	// the secrets' expiry is applied (Result.then: SNS confirmations).
	acts bool
	// Credentials are request headers that carry a secret whatever the
	// scheme (Asana's handshake sends its secret in X-Hook-Secret), and
	// CredentialParams the query parameters that do (Atlassian Connect's
	// jwt): a request kept for inspection holds them redacted.
	Credentials      []string
	CredentialParams []string

	// New builds a verifier for this preset. The package function New calls
	// it after the checks common to all presets; use that instead.
	New func(o Options) (Verifier, error)
	// Sign, when not nil, adds the signature headers to r as the provider
	// would, signed with o.Secrets[0] at time now. The package function Sign
	// calls it after the checks common to all presets; use that instead.
	Sign func(r *Request, o Options, now time.Time) error
}

var (
	presets = map[string]Preset{} // by name
	aliases = map[string]string{} // alias -> name
)

// register adds a preset; each scheme file calls it from init.
func register(p Preset) {
	for _, n := range append([]string{p.Name}, p.Aliases...) {
		if _, dup := presets[n]; dup {
			panic("verify: preset registered twice: " + n)
		}
		if _, dup := aliases[n]; dup {
			panic("verify: preset registered twice: " + n)
		}
	}
	for _, o := range p.Options {
		if _, ok := optionFields[o]; !ok {
			panic("verify: preset " + p.Name + " lists unknown option " + o)
		}
	}
	presets[p.Name] = p
	for _, a := range p.Aliases {
		aliases[a] = p.Name
	}
}

// signer is a scheme's verifier that also signs as its provider does: with
// the first secret it was built with, at time now.
type signer interface {
	Verifier
	sign(r *Request, now time.Time) error
}

// newWith returns a Preset.New that builds the verifier with newV. An error
// yields a nil Verifier rather than one holding a nil pointer.
func newWith[V Verifier](newV func(Options) (V, error)) func(Options) (Verifier, error) {
	return func(o Options) (Verifier, error) {
		v, err := newV(o)
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}

// signWith returns a Preset.Sign that builds the scheme with newV and signs
// with it.
func signWith[V signer](newV func(Options) (V, error)) func(*Request, Options, time.Time) error {
	return func(r *Request, o Options, now time.Time) error {
		v, err := newV(o)
		if err != nil {
			return err
		}
		return v.sign(r, now)
	}
}

// IDSigned reports whether the event ID is covered by the signature, so
// that a captured request cannot be sent again under a new ID: an ID from
// the body (or the SHA-256 of the body) when the body is signed, or a
// header or body field the scheme signs. Where it is not, dedupe.body_hash
// also claims the SHA-256 of the body.
func (p Preset) IDSigned() bool {
	if p.IDSourceSigned {
		return true
	}
	if strings.HasPrefix(p.EventID, "header:") {
		return false
	}
	return !p.BodyUnsigned
}

// Lookup returns the preset with the given name or alias.
func Lookup(name string) (Preset, bool) {
	if n, ok := aliases[name]; ok {
		name = n
	}
	p, ok := presets[name]
	return p, ok
}

// Presets returns the whole catalogue sorted by name, one entry per preset
// (aliases are in Preset.Aliases).
func Presets() []Preset {
	out := make([]Preset, 0, len(presets))
	for _, p := range presets {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// optionFields reports, by config name, whether an optional field of
// Options is set.
var optionFields = map[string]func(o *Options) bool{
	"header":           func(o *Options) bool { return o.Header != "" },
	"prefix":           func(o *Options) bool { return o.Prefix != "" },
	"algorithm":        func(o *Options) bool { return o.Algorithm != "" },
	"encoding":         func(o *Options) bool { return o.Encoding != "" },
	"template":         func(o *Options) bool { return o.Template != "" },
	"format":           func(o *Options) bool { return o.Format != "" },
	"timestamp_header": func(o *Options) bool { return o.TimestampHeader != "" },
	"jwks_url":         func(o *Options) bool { return o.JWKSURL != "" },
	"jwks":             func(o *Options) bool { return o.JWKS != "" },
	"jwks_refresh":     func(o *Options) bool { return o.JWKSRefresh != 0 },
	"issuer":           func(o *Options) bool { return o.Issuer != "" },
	"audience":         func(o *Options) bool { return len(o.Audience) > 0 },
	"algorithms":       func(o *Options) bool { return len(o.Algorithms) > 0 },
	"body_hash_claim":  func(o *Options) bool { return o.BodyHashClaim != "" },
	"email":            func(o *Options) bool { return o.Email != "" },
	"bundle_id":        func(o *Options) bool { return o.BundleID != "" },
	"environment":      func(o *Options) bool { return o.Environment != "" },
	"app_apple_id":     func(o *Options) bool { return o.AppAppleID != 0 },
	"verify_token":     func(o *Options) bool { return o.VerifyToken != "" },
	"public_url":       func(o *Options) bool { return o.PublicURL != "" },
	"auto_confirm":     func(o *Options) bool { return o.AutoConfirm != nil },
	"query_param":      func(o *Options) bool { return o.QueryParam != "" },
	"secret_file":      func(o *Options) bool { return o.SecretFile != "" },
}

// optionNames is optionFields' keys in a fixed order, for stable errors.
var optionNames = func() []string {
	names := make([]string, 0, len(optionFields))
	for n := range optionFields {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}()
