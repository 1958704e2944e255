package config

import (
	"crypto/ed25519"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/deliver"
	"github.com/hookgate/hookgate/forward"
)

// Delivery bridges subjects of the stream to an HTTP service (package
// deliver): `serve` runs the deliveries in process, `hookgate deliver`
// on its own.
type Delivery struct {
	// Name is required and unique: the consumer is deliver-<name>.
	Name string `yaml:"name"`
	// Subjects filter the stream (default: all its subjects).
	Subjects []string `yaml:"subjects"`
	// URL receives a POST per event (http or https).
	URL string `yaml:"url"`
	// Headers are added to each request (an Authorization header, say).
	Headers map[string]string `yaml:"headers"`
	// Timeout bounds a request (default 10s).
	Timeout Duration `yaml:"timeout"`
	// Concurrency is how many requests may run at once (default 1; never
	// two of one ordering key).
	Concurrency int `yaml:"concurrency"`
	// MaxDeliver is how many requests an event gets before it is
	// dead-lettered (default 5).
	MaxDeliver int `yaml:"max_deliver"`
	// Backoff is the wait before each new request after a failure (default
	// 1s, 5s, 30s, 2m; the last repeats).
	Backoff []Duration `yaml:"backoff"`
	// DeadLetterSubject is where the events it gives up on go (default
	// hookgate.dead.deliver-<name>).
	DeadLetterSubject string `yaml:"dead_letter_subject"`
	// VerifyKeys are public key files (PEM): a message not signed by one of
	// them is dead-lettered, never POSTed. Default in serve with nats.sign:
	// the gateway's own key.
	VerifyKeys []string `yaml:"verify_keys"`

	keys []ed25519.PublicKey // read by validation
}

// consumerName is what NATS takes in a durable consumer's name (a subject
// token, and a file name on the server).
var consumerName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Target returns the delivery as package deliver runs it, on stream.
// own, when not nil, is the gateway's own public key: the default
// verifier.
func (d *Delivery) Target(stream string, own ed25519.PublicKey) (deliver.Target, error) {
	t := deliver.Target{
		Name: d.Name, Stream: stream, Subjects: d.Subjects, URL: d.URL, Headers: d.Headers,
		Timeout: time.Duration(d.Timeout), Concurrency: d.Concurrency, MaxDeliver: d.MaxDeliver,
		DeadLetterSubject: d.DeadLetterSubject,
	}
	for _, b := range d.Backoff {
		t.Backoff = append(t.Backoff, time.Duration(b))
	}
	keys := d.keys
	if len(keys) == 0 && own != nil {
		keys = []ed25519.PublicKey{own}
	}
	if len(keys) > 0 {
		v, err := bussig.NewVerifier(keys...)
		if err != nil {
			return t, fmt.Errorf("deliveries (%s): %w", d.Name, err)
		}
		t.Verify = v
	}
	return t, nil
}

// validateDeliveries checks the deliveries and reads their keys.
func (c *Config) validateDeliveries(v *validator) {
	names := map[string]int{}
	for i := range c.Deliveries {
		d := &c.Deliveries[i]
		bad := v.item("deliveries", i, d.Name)
		if c.NATS.Mode != "jetstream" {
			bad("name", "deliveries read the stream: nats.mode must be jetstream")
		}
		switch j, seen := names[d.Name]; {
		case !consumerName.MatchString(d.Name):
			bad("name", "%q: a delivery needs a name of letters, digits, '-' and '_' (at most 64)", d.Name)
		case seen:
			bad("name", "%q is also the name of deliveries[%d]", d.Name, j)
		default:
			names[d.Name] = i
		}
		if u, err := url.Parse(d.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("url", "%q is not an http or https URL", deliver.RedactURL(d.URL))
		}
		d.validateSubjects(bad, c.NATS.Subjects)
		d.validateLimits(bad)
		// A header the message carries is the provider's, signed with the
		// message: the delivery's own may not replace it.
		for k := range d.Headers {
			for _, p := range c.Providers {
				if slices.ContainsFunc(p.PassHeaders, func(h string) bool { return strings.EqualFold(h, k) }) {
					bad("headers", "%s is passed through from provider %s's requests (pass_headers)", k, p.Name)
				}
			}
		}
		d.keys = d.keys[:0]
		for j, f := range d.VerifyKeys {
			k, err := bussig.LoadPublicKey(f)
			if err != nil {
				bad("verify_keys["+strconv.Itoa(j)+"]", "%v", err)
				continue
			}
			d.keys = append(d.keys, k)
		}
	}
}

// validateSubjects checks the filters against the stream's subjects.
func (d *Delivery) validateSubjects(bad func(sub, format string, args ...any), stream []string) {
	for j, s := range d.Subjects {
		if problem := forward.StreamSubjectProblem(s); problem != "" {
			bad("subjects["+strconv.Itoa(j)+"]", "%q %s", s, problem)
			continue
		}
		if !slices.ContainsFunc(stream, func(ss string) bool { return forward.SubjectWithin(s, ss) }) {
			bad("subjects["+strconv.Itoa(j)+"]", "%q is not inside the stream's subjects %q", s, stream)
		}
	}
}

// validateLimits checks the numbers and the headers.
func (d *Delivery) validateLimits(bad func(sub, format string, args ...any)) {
	if d.Timeout < 0 || d.Concurrency < 0 || d.MaxDeliver < 0 {
		bad("timeout", "timeout, concurrency and max_deliver must be positive (0: the default)")
	}
	for j, b := range d.Backoff {
		if b <= 0 {
			bad("backoff["+strconv.Itoa(j)+"]", "must be positive")
		}
	}
	for k := range d.Headers {
		if deliver.ReservedHeader(k) {
			bad("headers", "%s is set by the message or the delivery itself", k)
		}
	}
}
