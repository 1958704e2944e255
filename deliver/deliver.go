// Package deliver bridges hookgate's stream to HTTP services that do not
// speak NATS: a Target is a durable consumer (package consume) that POSTs
// each event to a URL, with consume's retries, backoff, per-key order and
// dead letters.
//
// Each request carries the message's body byte for byte, its Content-Type,
// every header of the message but the Nats-* ones (the Hookgate-* headers,
// passed headers and, when the gateway signs, Hookgate-Signature), and
// three more that let the receiver check the signature: Hookgate-Msg-Id (the
// Nats-Msg-Id), Hookgate-Subject, and Hookgate-Signed-Headers (the
// lower-case names of the message's headers that the signature covers,
// comma-separated), plus Hookgate-Delivery-Attempt.
//
// A 2xx answer acknowledges the message. 408, 425, 429, a 5xx, a timeout or
// a connection error is tried again after the target's backoff, up to its
// MaxDeliver attempts; any other answer (a 3xx: redirects are not
// followed; a 4xx) is final at once. After the last try, or a final answer,
// the message goes to the dead-letter subject and is terminated.
package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/consume"
)

// Headers a request carries besides the message's own.
const (
	HeaderMsgID         = "Hookgate-Msg-Id"
	HeaderSubject       = "Hookgate-Subject"
	HeaderSignedHeaders = "Hookgate-Signed-Headers"
	HeaderAttempt       = "Hookgate-Delivery-Attempt"
)

// DefaultTimeout is Target.Timeout's default.
const DefaultTimeout = 10 * time.Second

// ErrTarget is wrapped by Start for a Target it cannot run.
var ErrTarget = errors.New("deliver: invalid target")

// Target is one delivery: the messages of Subjects, POSTed to URL.
type Target struct {
	// Name names the durable consumer ("deliver-<Name>") and the metrics'
	// delivery label.
	Name string
	// Stream is the stream to read (default consume's, WEBHOOKS), and
	// Subjects filter it (default: all its subjects).
	Stream   string
	Subjects []string
	URL      string
	// Headers are added to every request (an Authorization header, say).
	Headers map[string]string
	// Timeout bounds one request, its answer included (default 10s).
	Timeout time.Duration
	// Concurrency, MaxDeliver, Backoff and DeadLetterSubject are
	// consume.Options' (defaults: 1, 5, consume.DefaultBackoff,
	// hookgate.dead.deliver-<Name>).
	Concurrency       int
	MaxDeliver        int
	Backoff           []time.Duration
	DeadLetterSubject string
	// Verify, when set, refuses messages the gateway did not sign (they
	// are dead-lettered, never POSTed).
	Verify *bussig.Verifier
}

// Durable is the name of t's consumer.
func (t *Target) Durable() string { return "deliver-" + t.Name }

// Delivery is a running Target. Stop it when done.
type Delivery struct {
	sub *consume.Subscription
}

// Start runs t: it creates or binds its durable consumer on js and POSTs
// its messages with client (nil: a client with t.Timeout that follows no
// redirect). m may be nil; log too (slog.Default()). The error wraps
// ErrTarget, or is consume.Subscribe's.
func Start(ctx context.Context, js jetstream.JetStream, t Target, client *http.Client, m *Metrics, log *slog.Logger) (*Delivery, error) {
	if t.Name == "" || t.URL == "" {
		return nil, fmt.Errorf("%w: a name and a URL are required", ErrTarget)
	}
	if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %s: %q is not an http or https URL", ErrTarget, t.Name, RedactURL(t.URL))
	}
	for k := range t.Headers {
		if ReservedHeader(k) {
			return nil, fmt.Errorf("%w: %s: header %s is the message's or the delivery's own", ErrTarget, t.Name, k)
		}
	}
	if t.Timeout <= 0 {
		t.Timeout = DefaultTimeout
	}
	if t.MaxDeliver <= 0 {
		t.MaxDeliver = consume.DefaultMaxDeliver
	}
	if client == nil {
		client = &http.Client{
			Timeout:       t.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if log == nil {
		log = slog.Default()
	}
	p := &poster{t: t, client: client, m: m, where: RedactURL(t.URL)}
	sub, err := consume.Subscribe(ctx, js, consume.Options{
		Stream:                 t.Stream,
		Durable:                t.Durable(),
		Subjects:               t.Subjects,
		Concurrency:            t.Concurrency,
		MaxDeliver:             t.MaxDeliver,
		Backoff:                t.Backoff,
		DeadLetterSubject:      t.DeadLetterSubject,
		CreateDeadLetterStream: t.DeadLetterSubject == "",
		Verify:                 t.Verify,
		Logger:                 log.With("delivery", t.Name),
	}, p.handle)
	if err != nil {
		return nil, fmt.Errorf("deliver %s: %w", t.Name, err)
	}
	return &Delivery{sub: sub}, nil
}

// Stop stops fetching, waits for the requests in flight (bounded by ctx)
// and gives the rest back to the stream (see consume.Subscription.Stop).
func (d *Delivery) Stop(ctx context.Context) error { return d.sub.Stop(ctx) }

// poster POSTs events to a target.
type poster struct {
	t      Target
	client *http.Client
	m      *Metrics
	where  string // the URL as errors show it (RedactURL)
}

// handle is the consume handler: one POST, its answer turned into an ack
// (nil), a retry (an error) or a dead letter (a permanent error, or an
// error at the last attempt unless a stop cut the request).
func (p *poster) handle(ctx context.Context, ev *consume.Event) error {
	start := time.Now()
	status, err := p.post(ctx, ev)
	outcome := "delivered"
	switch {
	case err == nil:
	case errors.As(err, new(*consume.PermanentError)) || ev.Attempt >= p.t.MaxDeliver && ctx.Err() == nil:
		outcome = "dead_letter"
	default:
		outcome = "retry"
	}
	p.m.observe(p.t.Name, outcome, status, time.Since(start))
	return err
}

// post sends ev once and returns the answer's status (0 without one).
func (p *poster) post(ctx context.Context, ev *consume.Event) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.t.URL, bytes.NewReader(ev.Body))
	if err != nil {
		return 0, consume.Permanent(fmt.Errorf("deliver %s: %w", p.t.Name, err))
	}
	setHeaders(req.Header, ev)
	for k, v := range p.t.Headers {
		// Never in place of a header of the message: its signature
		// (Hookgate-Signed-Headers) covers the message's value.
		if len(req.Header.Values(k)) == 0 {
			req.Header.Set(k, v)
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text quotes the whole URL, query and all
		}
		return 0, fmt.Errorf("deliver %s: POST %s: %w", p.t.Name, p.where, err)
	}
	// A little of the answer, for the error; the rest is drained so that
	// the connection is reused.
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, nil
	}
	err = fmt.Errorf("deliver %s: POST %s: %s: %q", p.t.Name, p.where, resp.Status, bytes.TrimSpace(excerpt))
	if !retryable(resp.StatusCode) {
		err = consume.Permanent(err)
	}
	return resp.StatusCode, err
}

// RedactURL returns u without what may be a secret (user information, the
// query, the fragment): what errors, logs and dead letters show of a
// target's URL.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(an invalid URL)"
	}
	return (&url.URL{Scheme: p.Scheme, Host: p.Host, Path: p.Path}).String()
}

// ReservedHeader reports whether a target may not set the header name:
// the message's (Hookgate-*, Content-Type), NATS's (Nats-*) and the HTTP
// client's (Content-Length, Host).
func ReservedHeader(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "hookgate-") || strings.HasPrefix(n, "nats-") ||
		n == "content-type" || n == "content-length" || n == "host"
}

// retryable reports whether an answer with status may change if the
// request comes again.
func retryable(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return status >= 500
}

// setHeaders gives a request the message's headers (not the Nats-* ones)
// and those that let its receiver check the signature.
func setHeaders(h http.Header, ev *consume.Event) {
	var signed []string
	for k, vs := range ev.Header {
		name := strings.ToLower(k)
		if strings.HasPrefix(name, "nats-") {
			continue
		}
		for _, v := range vs {
			h.Add(k, v)
		}
		if name != strings.ToLower(bussig.Header) {
			signed = append(signed, name)
		}
	}
	slices.Sort(signed)
	if ev.ContentType == "" {
		h.Set("Content-Type", "application/octet-stream")
	}
	h.Set(HeaderMsgID, ev.MsgID)
	h.Set(HeaderSubject, ev.Subject)
	h.Set(HeaderSignedHeaders, strings.Join(signed, ","))
	h.Set(HeaderAttempt, strconv.Itoa(ev.Attempt))
}

// Metrics count deliveries per target. A nil *Metrics counts nothing.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the delivery metrics on reg:
// hookgate_delivery_requests_total{delivery,outcome,code} (outcome
// delivered, retry or dead_letter; code the HTTP status, "none" without an
// answer) and hookgate_delivery_duration_seconds{delivery}.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookgate_delivery_requests_total",
			Help: "POSTs of events to delivery targets, by outcome (delivered, retry, dead_letter) and HTTP status (none: no answer).",
		}, []string{"delivery", "outcome", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookgate_delivery_duration_seconds",
			Help:    "Time of a POST to a delivery target, its answer included.",
			Buckets: prometheus.DefBuckets,
		}, []string{"delivery"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *Metrics) observe(name, outcome string, status int, d time.Duration) {
	if m == nil {
		return
	}
	code := "none"
	if status > 0 {
		code = strconv.Itoa(status)
	}
	m.requests.WithLabelValues(name, outcome, code).Inc()
	m.duration.WithLabelValues(name).Observe(d.Seconds())
}

// Run starts every target and runs them until ctx ends, then stops them,
// waiting up to stopWait for requests in flight. A target that fails to
// start stops those started before it, and Run returns its error.
func Run(ctx context.Context, js jetstream.JetStream, targets []Target, m *Metrics, log *slog.Logger, stopWait time.Duration) error {
	var running []*Delivery
	stopAll := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), stopWait)
		defer cancel()
		var errs []error
		for _, d := range running {
			errs = append(errs, d.Stop(sctx))
		}
		return errors.Join(errs...)
	}
	for _, t := range targets {
		d, err := Start(ctx, js, t, nil, m, log)
		if err != nil {
			stopAll()
			return err
		}
		running = append(running, d)
	}
	<-ctx.Done()
	return stopAll()
}
