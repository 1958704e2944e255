// Package verify checks webhook signatures on the raw request bytes and holds
// the catalogue of provider presets: for each provider, its scheme, the headers
// it signs with, its replay tolerance and where its event ID and type are.
//
// A Verifier is built from a preset name or generic scheme with New, tries
// every configured secret (rotation), and checks a signed timestamp in both
// directions against the tolerance. Verifiers are safe for concurrent use.
// Sign produces the headers a provider would send, for tests and for
// `hookgate send`. The package does no I/O, except fetching a JWKS for the
// schemes configured with jwks_url, fetching the signing certificates of the
// certificate-signed presets (Amazon SNS, PayPal) from their providers'
// hosts, confirming SNS subscriptions, and the secret file of a preset that
// learns its secret in a handshake (Asana's secret_file).
package verify

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
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
	// ErrSecretExpired means the request was signed with a secret whose
	// NotAfter time has passed.
	ErrSecretExpired = errors.New("verify: secret expired")
	// ErrKeysUnavailable means the keys of a JWKS URL could not be fetched
	// and none are cached: the request could not be checked (not that it
	// is invalid).
	ErrKeysUnavailable = errors.New("verify: signing keys unavailable")
	// ErrClaims means a signed token is genuine but its claims do not fit
	// (issuer, audience, email, body hash, bundle ID).
	ErrClaims = errors.New("verify: token claims rejected")

	// ErrUnknownType is returned by New and Sign for a type that is
	// neither a preset nor a generic scheme.
	ErrUnknownType = errors.New("verify: unknown type")
	// ErrConfig is returned by New and Sign when the options do not fit
	// the scheme.
	ErrConfig = errors.New("verify: invalid options")
)

// SecretError is returned by New and Sign when an entry of Options.Secrets
// is unusable (it wraps ErrConfig). It names the entry by its index and
// says which rule it broke; it never holds the secret or any part of it, so
// it can be logged and shown. Callers find it with errors.As to name the
// entry in their own terms (a config field, a command-line flag).
type SecretError struct {
	Type   string // the type New or Sign was called with
	Index  int    // the index in Options.Secrets
	Reason string // the rule the entry broke, e.g. "is not whsec_ followed by base64"
}

func (e *SecretError) Error() string {
	return fmt.Sprintf("%s: secret %d: %s: %v", e.Type, e.Index, e.Reason, ErrConfig)
}

// Unwrap returns ErrConfig.
func (e *SecretError) Unwrap() error { return ErrConfig }

// secretErr is a SecretError. The reason must not quote the secret: parse
// errors of the standard library (encoding/hex, strconv) echo their input,
// so wrap them only once their message is known not to.
func secretErr(typ string, i int, format string, args ...any) error {
	return &SecretError{Type: typ, Index: i, Reason: fmt.Sprintf(format, args...)}
}

// parseSecrets parses each of secrets with parse: the one loop by which
// schemes turn their secrets into keys. An error is a SecretError of typ
// naming the secret by its index; parse's errors must not quote the secret.
func parseSecrets[K any](typ string, secrets []string, parse func(string) (K, error)) ([]K, error) {
	keys := make([]K, len(secrets))
	for i, s := range secrets {
		k, err := parse(s)
		if err != nil {
			return nil, secretErr(typ, i, "%v", err)
		}
		keys[i] = k
	}
	return keys, nil
}

// Options configure one Verifier. Secrets in use at the request's time (see
// NotAfter) are tried in order; the first that matches wins and its index
// in Secrets is reported in Result. Each preset lists in
// Preset.Options the optional fields it reads; New rejects any other field
// that is set, so a misplaced option fails loudly.
type Options struct {
	// Secrets are the shared secrets, or for asymmetric schemes the public
	// keys or trust anchors, in the encoding the preset documents.
	Secrets []string
	// NotAfter, when set, holds for each secret (same index) the time after
	// which it is no longer accepted; a zero time, or a missing entry,
	// never expires. An expired secret is not tried: a request verifies
	// when a secret still in use matches, even if it also carries a
	// signature by an expired one, and fails with ErrSecretExpired when
	// only expired secrets match. A handshake that no secret signs (Meta's
	// GET, X's CRC, Trello's HEAD) is answered whatever the expiry; X's CRC
	// is answered with the first secret in use (the first secret when all
	// have expired).
	NotAfter []time.Time
	// Tolerance is the replay window for schemes that sign a timestamp.
	// Zero means the preset's default.
	Tolerance time.Duration

	// Generic hmac, token and similar schemes.
	Header    string // "header": header that carries the signature or token
	Prefix    string // "prefix": prefix before the signature, such as "sha256="
	Algorithm string // "algorithm": sha1, sha256 (default) or sha512
	Encoding  string // "encoding": hex (default) or base64
	// Template is the signed content ("template"), e.g. "{timestamp}.{body}"
	// or "v0:{header:X-Ts}:{body}".
	Template string
	// Format is how the signature header is laid out ("format"), e.g.
	// "plain", "t=,v1=" style key-value lists, or space/comma lists.
	Format string
	// TimestampHeader names a header holding a signed unix timestamp
	// ("timestamp_header").
	TimestampHeader string

	// Tokens (jwt and the JWT- or JWS-based presets). A JWKS fetched from
	// JWKSURL is used for its period, then fetched again: the response's
	// Cache-Control max-age, at most JWKSRefresh and at least 30s, or
	// JWKSRefresh when it has none. While fetching fails the old keys are
	// still used, but only until they are twice their period old: then
	// requests fail with ErrKeysUnavailable until a fetch succeeds. A
	// fetch takes at most 10s, reads at most 1 MiB, and follows at most 3
	// redirects, each to the URL's own scheme and host (whatever
	// HTTPClient's own settings).
	JWKSURL       string        // "jwks_url": fetched and cached
	JWKS          string        // "jwks": a JWKS document
	JWKSRefresh   time.Duration // "jwks_refresh": the longest a fetched JWKS is used before it is fetched again; default 1h
	HTTPClient    *http.Client  // for JWKS and certificate fetching, and SNS confirmations; nil: a client with a timeout
	Issuer        string        // "issuer"
	Audience      []string      // "audience": any of them
	Algorithms    []string      // "algorithms": accepted algorithms, pinned
	BodyHashClaim string        // "body_hash_claim": claim with the hex SHA-256 of the body
	Email         string        // "email": expected email claim (Google)
	BundleID      string        // "bundle_id": expected bundle ID (Apple)
	Environment   string        // "environment": expected environment (Apple: Production, Sandbox)
	AppAppleID    int64         // "app_apple_id": expected app Apple ID (Apple)

	// VerifyToken answers a subscription handshake ("verify_token", Meta's
	// hub.verify_token).
	VerifyToken string
	// PublicURL is the base URL the provider was given ("public_url"), for
	// schemes that sign the URL, when a proxy changes what the gateway sees.
	PublicURL string
	// AutoConfirm ("auto_confirm"), for Amazon SNS: whether a verified
	// SubscriptionConfirmation is confirmed (a GET of its SubscribeURL)
	// and answered, or forwarded as an event; nil means true.
	AutoConfirm *bool
	// DryRun, set by the commands that check a request offline
	// (`hookgate verify`, `hookgate routes -request`), means the verifier
	// acts on nothing outside itself: an SNS subscription is not
	// confirmed, a secret Asana sends is not written to secret_file. The
	// answer is what it would be. Not a config option.
	DryRun bool
	// QueryParam names the query parameter of the endpoint URL that
	// carries a shared secret ("query_param"), for providers that sign
	// nothing and let the URL hold a secret (Azure Event Grid, Strava).
	QueryParam string
	// SecretFile is where a secret that the provider chooses and sends in
	// a handshake is kept ("secret_file", Asana's X-Hook-Secret): written
	// on the first handshake, read again whenever it changes.
	SecretFile string
}

// Result describes a successful verification.
type Result struct {
	// SecretIndex is the index in Options.Secrets of the secret that
	// matched. For a handshake that no secret signs, it is that of the
	// first secret in use (see Options.NotAfter), or 0 when none is.
	SecretIndex int
	// Payload, when not nil, is the verified content the signature wraps
	// (Apple's JWS payload), or JSON the scheme made of fields it read
	// from signed content that is not JSON (Braintree's kind and
	// timestamp, from its base64 XML): the event's fields are read from
	// it rather than from the raw body, which is still what is forwarded.
	Payload []byte
	// ID, when not empty, is the event ID as the scheme found it where the
	// preset's EventID source cannot say it: for Standard Webhooks, the
	// message ID that the verified signature covers, from the header
	// family that carried it (webhook-id or svix-id); for a Slack slash
	// command or interaction (form posts), its trigger_id. It takes the
	// place of the preset's EventID; a provider's own identify setting
	// wins.
	ID string
	// Type, when not empty, is the event type as the scheme found it
	// where the preset's EventType sources cannot say it: for Slack,
	// "slash_command", or an interaction payload's type (block_actions,
	// view_submission, ...). It takes the place of the preset's EventType;
	// a provider's own identify setting wins.
	Type string
	// Response, when not nil, means the request was a handshake that the
	// provider requires (Slack url_verification, Zoom
	// endpoint.url_validation, ...): answer it with Response and record
	// nothing.
	Response *Response

	// unsigned marks a handshake that no secret signs: secret expiry does
	// not apply to it.
	unsigned bool
	// then, when not nil, is what the request asks done once it is known
	// to verify with a secret in use (an SNS subscription to confirm): New's
	// verifier runs it after the secrets' expiry is applied, and fails
	// with its error.
	then func() error
}

// handshake is the Result of a handshake that no secret signs.
func handshake(resp *Response) Result {
	return Result{Response: resp, unsigned: true}
}

// Unsigned reports whether r is a handshake that no secret verified (an
// echoed challenge, Asana's heartbeat): whoever sends it gets the same
// answer, so it proves nothing about the sender.
func (r Result) Unsigned() bool { return r.unsigned }

// Response is the answer to a handshake.
type Response struct {
	Status      int // 0 means 200
	ContentType string
	Header      http.Header // extra response headers, if any
	Body        []byte
	// Log, when set, says what the handshake did (Asana: a secret learned
	// and where it was written), for the gateway's log line; it is never
	// sent, and never holds a secret.
	Log string
}

// Verifier checks one request. now is the receiver's clock.
type Verifier interface {
	Verify(r *Request, now time.Time) (Result, error)
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
	v, err := p.New(o)
	if err != nil {
		return nil, err
	}
	if v, err = withExpiry(p, o, v); err != nil || !p.acts {
		return v, err
	}
	return thenVerifier{Verifier: v, dryRun: o.DryRun}, nil
}

// thenVerifier runs the action a verified request's Result carries (see
// Result.then), outside the rotation over expiring secrets, so that a
// request verified only by an expired secret does nothing.
type thenVerifier struct {
	Verifier
	dryRun bool // Options.DryRun: the action is not run
}

// Verify implements Verifier.
func (t thenVerifier) Verify(r *Request, now time.Time) (Result, error) {
	res, err := t.Verifier.Verify(r, now)
	if err != nil || res.then == nil {
		return res, err
	}
	if t.dryRun {
		res.then = nil
		return res, nil
	}
	if err := res.then(); err != nil {
		return Result{}, err
	}
	res.then = nil
	return res, nil
}

// Sign adds to r the headers that the provider of preset typ sends: the
// signature computed at time now with the first secret not expired then
// (o.Secrets[0] when none is, or none expires), and whatever else the
// scheme signs (a message ID is generated when the scheme needs one and r
// has none). It allocates r.Header when nil. It returns the errors of New,
// and an error wrapping ErrConfig for a preset that cannot sign.
func Sign(typ string, r *Request, o Options, now time.Time) error {
	p, o, err := prepare(typ, o)
	if err != nil {
		return err
	}
	lead := 0
	for i := range o.Secrets {
		if i >= len(o.NotAfter) || o.NotAfter[i].IsZero() || !now.After(o.NotAfter[i]) {
			// The first secret in use leads; the schemes sign with the first.
			o.Secrets = slices.Concat(o.Secrets[i:i+1], o.Secrets[:i], o.Secrets[i+1:])
			o.NotAfter = nil
			lead = i
			break
		}
	}
	if p.Sign == nil {
		return fmt.Errorf("%s cannot sign: %w", typ, ErrConfig)
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	err = p.Sign(r, o, now)
	if se, ok := errors.AsType[*SecretError](err); ok {
		// Name the secret by its index in the caller's Secrets.
		switch {
		case se.Index == 0:
			se.Index = lead
		case se.Index <= lead:
			se.Index--
		}
	}
	return err
}

// prepare looks up typ and applies the checks and defaults that New and
// Sign share.
func prepare(typ string, o Options) (Preset, Options, error) {
	p, ok := Lookup(typ)
	if !ok {
		return p, o, fmt.Errorf("type %q: %w", typ, ErrUnknownType)
	}
	if len(o.Secrets) == 0 && !p.NoSecret {
		return p, o, fmt.Errorf("%s needs at least one secret: %w", typ, ErrConfig)
	}
	for i, s := range o.Secrets {
		if s == "" {
			return p, o, secretErr(typ, i, "is empty")
		}
	}
	if len(o.NotAfter) > len(o.Secrets) {
		return p, o, fmt.Errorf("%s: %d expiry times for %d secrets: %w", typ, len(o.NotAfter), len(o.Secrets), ErrConfig)
	}
	switch {
	case o.Tolerance < 0:
		return p, o, fmt.Errorf("%s: negative tolerance %s: %w", typ, o.Tolerance, ErrConfig)
	case o.Tolerance > 0 && p.Tolerance == 0:
		return p, o, fmt.Errorf("%s signs no timestamp, so a tolerance does not apply: %w", typ, ErrConfig)
	case o.Tolerance == 0:
		o.Tolerance = p.Tolerance
	}
	allowed := map[string]bool{}
	for _, name := range p.Options {
		allowed[name] = true
	}
	for _, name := range optionNames {
		if optionFields[name](&o) && !allowed[name] {
			if len(p.Options) == 0 {
				return p, o, fmt.Errorf("%s takes no option %s: %w", typ, name, ErrConfig)
			}
			return p, o, fmt.Errorf("%s takes no option %s (it takes %s): %w", typ, name, strings.Join(p.Options, ", "), ErrConfig)
		}
	}
	return p, o, nil
}
