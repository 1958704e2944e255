package config

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/verify"
)

// Provider is one webhook sender.
type Provider struct {
	Name      string        `yaml:"name"`
	Type      string        `yaml:"type"`
	Path      string        `yaml:"path"`
	Secrets   []Secret      `yaml:"secrets"`
	Tolerance Duration      `yaml:"tolerance"`
	MaxBody   int64         `yaml:"max_body"`
	Options   SchemeOptions `yaml:"options"`
	Identify  Identify      `yaml:"identify"`
	Ordering  Ordering      `yaml:"ordering"`
	Dedupe    Dedupe        `yaml:"dedupe"`
	Subject   string        `yaml:"subject"`
	// PassHeaders lists original request headers copied onto the NATS message.
	PassHeaders []string `yaml:"pass_headers"`
	// Allow lists the client addresses (CIDR prefixes or single
	// addresses) allowed to post; empty allows any.
	Allow []string `yaml:"allow"`
	// RateLimit is a token bucket per provider.
	RateLimit RateLimit `yaml:"rate_limit"`
	// Envelope is raw, cloudevents or json (default: the top-level
	// envelope).
	Envelope string `yaml:"envelope"`
}

// RateLimit is a token bucket: RPS tokens a second, Burst at most
// (default: RPS rounded up). RPS 0 means unlimited.
type RateLimit struct {
	RPS   float64 `yaml:"rps"`
	Burst int     `yaml:"burst"`
}

// SchemeOptions are the scheme settings a type may read; each type lists
// the ones it takes in `hookgate providers` and rejects the others. The
// YAML names are those of verify.Preset.Options.
type SchemeOptions struct {
	Header          string     `yaml:"header"`
	Prefix          string     `yaml:"prefix"`
	Algorithm       string     `yaml:"algorithm"`
	Encoding        string     `yaml:"encoding"`
	Template        string     `yaml:"template"`
	Format          string     `yaml:"format"`
	TimestampHeader string     `yaml:"timestamp_header"`
	JWKSURL         string     `yaml:"jwks_url"`
	JWKS            string     `yaml:"jwks"`      // a JWKS document, inline
	JWKSFile        string     `yaml:"jwks_file"` // or read from a file
	JWKSRefresh     Duration   `yaml:"jwks_refresh"`
	Issuer          string     `yaml:"issuer"`
	Audience        StringList `yaml:"audience"`
	Algorithms      StringList `yaml:"algorithms"`
	BodyHashClaim   string     `yaml:"body_hash_claim"`
	Email           string     `yaml:"email"`
	BundleID        string     `yaml:"bundle_id"`
	Environment     string     `yaml:"environment"`
	AppAppleID      int64      `yaml:"app_apple_id"`
	VerifyToken     string     `yaml:"verify_token"`
	PublicURL       string     `yaml:"public_url"`
	AutoConfirm     *bool      `yaml:"auto_confirm"`
	QueryParam      string     `yaml:"query_param"`
	SecretFile      string     `yaml:"secret_file"`
}

// apply copies the options onto o, reading jwks_file.
func (so *SchemeOptions) apply(o *verify.Options) error {
	o.Header, o.Prefix, o.Algorithm, o.Encoding = so.Header, so.Prefix, so.Algorithm, so.Encoding
	o.Template, o.Format, o.TimestampHeader = so.Template, so.Format, so.TimestampHeader
	o.JWKSURL, o.JWKS, o.JWKSRefresh = so.JWKSURL, so.JWKS, time.Duration(so.JWKSRefresh)
	o.Issuer, o.Audience, o.Algorithms, o.BodyHashClaim = so.Issuer, so.Audience, so.Algorithms, so.BodyHashClaim
	o.Email, o.BundleID, o.Environment, o.AppAppleID = so.Email, so.BundleID, so.Environment, so.AppAppleID
	o.VerifyToken, o.PublicURL, o.AutoConfirm = so.VerifyToken, so.PublicURL, so.AutoConfirm
	o.QueryParam, o.SecretFile = so.QueryParam, so.SecretFile
	if so.JWKSFile != "" {
		if so.JWKS != "" {
			return errors.New("options: set jwks or jwks_file, not both")
		}
		b, err := os.ReadFile(so.JWKSFile)
		if err != nil {
			return fmt.Errorf("options: jwks_file: %w", err)
		}
		o.JWKS = string(b)
	}
	return nil
}

// Identify overrides the preset's event ID and type sources. A source
// is "header:Name" or a JSON field path into the body.
type Identify struct {
	EventID   string  `yaml:"event_id"`
	EventType Sources `yaml:"event_type"`
}

// Ordering turns on last-writer-wins for a provider.
type Ordering struct {
	// Preset takes Key, Version and Format from the preset's natural
	// version (verify.Preset.Ordering).
	Preset  bool   `yaml:"preset"`
	Key     string `yaml:"key"`
	Version string `yaml:"version"`
	Format  string `yaml:"format"` // auto (default), rfc3339, unix, unix_ms, sequence
	Ties    string `yaml:"ties"`   // forward (default) or drop
	// Stale is drop (default: a stale event is answered and forwarded
	// nowhere) or forward (it is published to StaleSubject, marked).
	Stale string `yaml:"stale"`
	// StaleSubject is the subject template of forwarded stale events
	// (default DefaultStaleSubject).
	StaleSubject string `yaml:"stale_subject"`
}

// DefaultStaleSubject is where stale events go with ordering.stale forward.
const DefaultStaleSubject = "webhooks.stale.{provider}.{type}"

// StaleForward reports whether stale events are forwarded.
func (o *Ordering) StaleForward() bool { return o.Stale == "forward" }

// Enabled reports whether ordering is configured.
func (o *Ordering) Enabled() bool { return o.Key != "" }

// Dedupe sets how long an event ID is remembered, and whether the body's
// SHA-256 is remembered too.
type Dedupe struct {
	TTL Duration `yaml:"ttl"`
	// BodyHash also claims the SHA-256 of the raw body for the TTL: a
	// second request with the same body is a duplicate whatever its ID
	// (for providers whose event ID the signature does not cover).
	BodyHash bool `yaml:"body_hash"`
}

// Verifier builds the provider's verifier from its type, secrets and
// options.
func (p *Provider) Verifier() (verify.Verifier, error) {
	o, err := p.VerifyOptions()
	if err != nil {
		return nil, err
	}
	return verify.New(p.Type, o)
}

// DryRunVerifier is Verifier for checking requests offline: it acts on
// nothing outside itself (verify.Options.DryRun).
func (p *Provider) DryRunVerifier() (verify.Verifier, error) {
	o, err := p.VerifyOptions()
	if err != nil {
		return nil, err
	}
	o.DryRun = true
	return verify.New(p.Type, o)
}

// VerifyOptions returns the options of the provider's scheme.
func (p *Provider) VerifyOptions() (verify.Options, error) {
	o := verify.Options{Tolerance: time.Duration(p.Tolerance)}
	for _, s := range p.Secrets {
		o.Secrets = append(o.Secrets, s.Value)
		o.NotAfter = append(o.NotAfter, s.NotAfter)
	}
	err := p.Options.apply(&o)
	return o, err
}

// Provider returns the named provider of c.
func (c *Config) Provider(name string) (*Provider, error) {
	for i := range c.Providers {
		if c.Providers[i].Name == name {
			return &c.Providers[i], nil
		}
	}
	return nil, fmt.Errorf("%w: no provider named %q", ErrInvalid, name)
}

// CredentialHeaders lists the request headers of p's requests that carry a
// credential: the quarantine keeps them as "[redacted]", and `hookgate
// send` prints them so.
func (p *Provider) CredentialHeaders() []string {
	preset, _ := verify.Lookup(p.Type)
	return verify.CredentialHeaders(preset, p.Options.Header)
}

// CredentialParams lists the query parameters of p's request URLs that
// carry a secret: the quarantine keeps them as "[redacted]".
func (p *Provider) CredentialParams() []string {
	preset, _ := verify.Lookup(p.Type)
	return verify.CredentialParams(preset, p.Options.QueryParam)
}

// validateStale checks what happens to the provider's stale events.
func (p *Provider) validateStale(bad func(field, format string, args ...any), n *NATS, streamSubjects []string) {
	o := &p.Ordering
	switch o.Stale {
	case "", "drop":
		if o.StaleSubject != "" {
			bad("ordering.stale_subject", "goes with ordering.stale: forward")
		}
		return
	case "forward":
	default:
		bad("ordering.stale", "%q is not drop or forward", o.Stale)
		return
	}
	if o.StaleSubject == "" {
		o.StaleSubject = DefaultStaleSubject
	}
	if err := forward.ValidateTemplate(o.StaleSubject); err != nil {
		bad("ordering.stale_subject", "%v", err)
	} else if streamSubjects != nil && providerName.MatchString(p.Name) && !forward.TemplateCovered(o.StaleSubject, p.Name, streamSubjects) {
		bad("ordering.stale_subject", "%q does not fall inside nats.subjects %q: the stream would not store the stale events", o.StaleSubject, n.Subjects)
	}
}
