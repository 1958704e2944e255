package consume

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hookgate/hookgate/bussig"
)

// Defaults of Options.
const (
	DefaultStream        = "WEBHOOKS"
	DefaultConcurrency   = 1
	DefaultMaxDeliver    = 5
	DefaultAckWait       = 30 * time.Second
	DefaultMaxAckPending = 1000
	// DeadLetterPrefix starts the default dead-letter subject,
	// "hookgate.dead.<durable>".
	DeadLetterPrefix = "hookgate.dead."
	// DeadLetterStream is the stream Options.CreateDeadLetterStream
	// creates, on DeadLetterSubjects.
	DeadLetterStream   = "HOOKGATE_DEAD"
	DeadLetterSubjects = "hookgate.dead.>"
)

// DefaultBackoff is Options.Backoff's default: the waits before the 2nd,
// 3rd, 4th and 5th calls of a handler for a message, and after those the
// last one again.
var DefaultBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}

// internalPrefix starts the subjects of the gateway's own records in the
// stream (claims and versions, with storage.backend: jetstream): a handler
// never gets them.
const internalPrefix = "_hg."

// Options configure a Subscription. Only Durable is required.
type Options struct {
	// Stream is the stream to read (default WEBHOOKS, the gateway's).
	Stream string
	// Durable names the consumer: every instance of a service uses the
	// same name and they share its messages. It names the default
	// dead-letter subject too.
	Durable string
	// Subjects filter the stream (default: its subjects, without the
	// gateway's internal _hg.> ones). Messages on _hg.> subjects are
	// acknowledged and skipped whatever the filter.
	Subjects []string
	// Concurrency is how many handlers may run at once (default 1).
	// Messages of one ordering key are handled one at a time, in stream
	// order, whatever the concurrency.
	Concurrency int
	// MaxDeliver bounds Event.Attempt: a message whose handler failed at
	// attempt MaxDeliver is dead-lettered (default 5). Within one delivery
	// that is MaxDeliver calls; see Event.Attempt for what earlier
	// deliveries count.
	MaxDeliver int
	// Backoff is the wait before each new call after a failure: the i-th
	// value after the i-th failure, the last one after later failures
	// (default DefaultBackoff). A dead-letter publish that failed is tried
	// again on the same schedule.
	Backoff []time.Duration
	// AckWait is the consumer's ack wait (default 30 s): how long the
	// server waits for a word about a message before it delivers it again.
	// A Subscription tells the server every AckWait/3 that it still holds
	// the messages it fetched, so a handler may run longer; AckWait is how
	// soon another instance gets the messages of one that died.
	AckWait time.Duration
	// MaxAckPending bounds the messages a Subscription holds (fetched and
	// not yet acknowledged) and is the consumer's MaxAckPending (default
	// 1000).
	MaxAckPending int
	// DeadLetterSubject is where failed and refused messages are copied
	// (default "hookgate.dead.<Durable>"). A stream must store it.
	DeadLetterSubject string
	// CreateDeadLetterStream creates the stream HOOKGATE_DEAD, on
	// hookgate.dead.> (file storage, limits retention), when no stream
	// stores the dead-letter subject. The subject must then be under
	// hookgate.dead.
	CreateDeadLetterStream bool
	// Verify, when set, checks each message's Hookgate-Signature against
	// the message's stored time: a message not signed, forged, signed by
	// an unknown key or stored too long after its signing is refused:
	// never given to the handler, dead-lettered and logged.
	Verify *bussig.Verifier
	// Logger gets refused and dead-lettered messages, failed handlers and
	// fetch errors (default slog.Default()).
	Logger *slog.Logger
}

// withDefaults returns o with its defaults, or an error wrapping
// ErrOptions.
func (o Options) withDefaults() (Options, error) {
	if o.Durable == "" || strings.ContainsAny(o.Durable, ".*> \t\r\n") {
		return o, fmt.Errorf("%w: Durable %q must be set, without '.', '*', '>' or white space", ErrOptions, o.Durable)
	}
	if o.Stream == "" {
		o.Stream = DefaultStream
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = DefaultMaxDeliver
	}
	if len(o.Backoff) == 0 {
		o.Backoff = DefaultBackoff
	}
	for i, d := range o.Backoff {
		if d < 0 {
			return o, fmt.Errorf("%w: Backoff[%d] is negative (%s)", ErrOptions, i, d)
		}
	}
	if o.AckWait == 0 {
		o.AckWait = DefaultAckWait
	}
	if o.AckWait < 100*time.Millisecond {
		return o, fmt.Errorf("%w: AckWait %s is shorter than 100ms", ErrOptions, o.AckWait)
	}
	if o.MaxAckPending <= 0 {
		o.MaxAckPending = DefaultMaxAckPending
	}
	if o.DeadLetterSubject == "" {
		o.DeadLetterSubject = DeadLetterPrefix + o.Durable
	}
	if !literalSubject(o.DeadLetterSubject) {
		return o, fmt.Errorf("%w: DeadLetterSubject %q is not a subject without wildcards", ErrOptions, o.DeadLetterSubject)
	}
	if o.CreateDeadLetterStream && !strings.HasPrefix(o.DeadLetterSubject, DeadLetterPrefix) {
		return o, fmt.Errorf("%w: CreateDeadLetterStream needs a DeadLetterSubject under %s (not %q)", ErrOptions, DeadLetterSubjects, o.DeadLetterSubject)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// backoff returns the wait after the n-th failure (n >= 1).
func (o *Options) backoff(n int) time.Duration {
	return o.Backoff[min(n, len(o.Backoff))-1]
}

// literalSubject reports whether s is a valid subject without wildcards.
func literalSubject(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" || tok == "*" || tok == ">" {
			return false
		}
	}
	return true
}

// subjectMatches reports whether filter (which may hold * and >) matches
// the literal subject.
func subjectMatches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range f {
		switch {
		case tok == ">":
			return i < len(s)
		case i >= len(s):
			return false
		case tok != "*" && tok != s[i]:
			return false
		}
	}
	return len(f) == len(s)
}

// defaultFilters returns the stream's subjects without the internal ones.
func defaultFilters(streamSubjects []string) []string {
	var out []string
	for _, s := range streamSubjects {
		if !strings.HasPrefix(s, internalPrefix) {
			out = append(out, s)
		}
	}
	return out
}
