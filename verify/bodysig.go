package verify

import (
	"fmt"
	"net/textproto"
	"time"
)

// The providers below sign the raw body alone, in one header, with nothing
// timed: replays are caught by the event ID (or, where the provider sends
// none, by the SHA-256 of the body). Each is the generic hmac scheme with the
// header, prefix, algorithm and encoding fixed.
func init() {
	register(bodySig{
		name: "shopify", header: "X-Shopify-Hmac-Sha256", alt: "Shopify-Hmac-Sha256", alg: "sha256", enc: "base64",
		desc:    "Shopify: X-Shopify-Hmac-Sha256 (Events: Shopify-Hmac-Sha256) base64 over the body, client secret raw",
		eventID: "header:X-Shopify-Event-Id", eventType: []string{"header:X-Shopify-Topic"},
	}.preset())
	register(bodySig{
		name: "intercom", header: "X-Hub-Signature", prefix: "sha1=", alg: "sha1", enc: "hex",
		desc:    "Intercom: X-Hub-Signature sha1=<hex> HMAC-SHA1 over the body, client secret raw",
		eventID: "id", eventType: []string{"topic"},
	}.preset())
	register(bodySig{
		name: "typeform", header: "Typeform-Signature", prefix: "sha256=", alg: "sha256", enc: "base64",
		desc:    "Typeform: Typeform-Signature sha256=<base64> over the body",
		eventID: "event_id", eventType: []string{"event_type"},
	}.preset())
	register(bodySig{
		name: "sentry", header: "Sentry-Hook-Signature", alg: "sha256", enc: "hex",
		desc:    "Sentry: Sentry-Hook-Signature <hex> over the body, client secret raw (Sentry-Hook-Timestamp is not signed)",
		eventID: "header:Request-ID", eventType: []string{"header:Sentry-Hook-Resource", "action"},
	}.preset())
	register(bodySig{
		name: "bitbucket", header: "X-Hub-Signature", prefix: "sha256=", alg: "sha256", enc: "hex",
		desc:    "Bitbucket Cloud: X-Hub-Signature (no -256) sha256=<hex> over the body",
		eventID: "header:X-Request-UUID", eventType: []string{"header:X-Event-Key"},
	}.preset())
	register(bodySig{
		name: "coinbase-commerce", header: "X-CC-Webhook-Signature", alg: "sha256", enc: "hex",
		desc:    "Coinbase Commerce: X-CC-Webhook-Signature <hex> over the body, shared secret raw",
		eventID: "event.id", eventType: []string{"event.type"},
	}.preset())
	register(bodySig{
		name: "lemonsqueezy", header: "X-Signature", alg: "sha256", enc: "hex",
		desc: "Lemon Squeezy: X-Signature <hex> over the body, signing secret raw",
		// No event ID: data.id is the order or subscription, shared by
		// all its events, so the body's SHA-256 identifies the event.
		eventType: []string{"header:X-Event-Name"},
	}.preset())
}

// bodySig describes a provider that sends "<prefix><MAC of the body>" in one
// header. alt, when set, is a second header name carrying the same
// signature (Shopify's Events deliveries drop the X- prefix); it is read
// when header is absent.
type bodySig struct {
	name, header, alt string
	prefix, alg, enc  string
	desc              string
	eventID           string
	eventType         []string
}

func (b bodySig) preset() Preset {
	headers := []string{b.header}
	if b.alt != "" {
		headers = append(headers, b.alt)
	}
	return Preset{
		Name:        b.name,
		Scheme:      "hmac-" + b.alg,
		Description: b.desc,
		Headers:     headers,
		EventID:     b.eventID,
		EventType:   b.eventType,
		New:         func(o Options) (Verifier, error) { return b.build(o) },
		Sign: func(r *Request, o Options, _ time.Time) error {
			v, err := b.newHMAC(o, b.header)
			if err != nil {
				return err
			}
			v.sign(r)
			return nil
		},
	}
}

func (b bodySig) newHMAC(o Options, header string) (*hmacVerifier, error) {
	o.Header, o.Prefix, o.Algorithm, o.Encoding = header, b.prefix, b.alg, b.enc
	return newHMAC(b.name, o)
}

func (b bodySig) build(o Options) (Verifier, error) {
	v, err := b.newHMAC(o, b.header)
	if err != nil {
		return nil, err
	}
	if b.alt == "" {
		return v, nil
	}
	alt := *v // shares the pooled MAC states
	alt.header = textproto.CanonicalMIMEHeaderKey(b.alt)
	return &altHeaderVerifier{main: v, alt: &alt}, nil
}

// altHeaderVerifier reads the signature from main's header, or from alt's
// when main's is absent.
type altHeaderVerifier struct {
	main, alt *hmacVerifier
}

var _ Verifier = (*altHeaderVerifier)(nil)

// Verify implements Verifier. A missing signature is reported under both
// header names.
func (v *altHeaderVerifier) Verify(r *Request, now time.Time) (Result, error) {
	switch {
	case r.Header.Get(v.main.header) != "":
		return v.main.Verify(r, now)
	case r.Header.Get(v.alt.header) != "":
		return v.alt.Verify(r, now)
	}
	return Result{}, fmt.Errorf("header %s (or %s): %w", v.main.header, v.alt.header, ErrNoSignature)
}
