package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"golang.org/x/time/rate"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/jsstore"
	"github.com/hookgate/hookgate/store"
	"github.com/hookgate/hookgate/verify"
	"github.com/hookgate/hookgate/webhook"
)

// provider is a configured provider ready to serve requests.
type provider struct {
	name     string
	path     string
	maxBody  int64
	ttl      time.Duration
	bodyHash bool // dedupe.body_hash: BodyKey claims the body's SHA-256 too
	dropTies bool
	subject  string
	// staleSubject is where stale events go (ordering.stale forward; empty:
	// they are dropped).
	staleSubject string
	passHeaders  []string
	methods      []string // HTTP methods routed to the handler
	credentials  []string // request headers that carry a secret: never quarantined
	// credentialParams are the URL's query parameters that carry a
	// secret: never quarantined either.
	credentialParams []string
	edge             *edge
	rateLimit        config.RateLimit
	verifier         verify.Verifier
	ident            *identifier
	envelope         envelope
	rejects          *sampler // the provider's "webhook rejected" log lines
	// success is the preset's answer to a decided event (verify.Preset
	// Success); nil: hookgate's JSON, 202 or 200.
	success *verify.Response
}

// Log lines of rejected requests are sampled per provider: a flood of bad
// requests (bulk forged signatures) must not become a flood of log lines.
// At most rejectLogRate lines a second are written, bursts of
// rejectLogBurst; the next line written says how many were left out. The
// metrics count every rejection.
const (
	rejectLogRate  = 10
	rejectLogBurst = 20
)

// sampler lets a bounded rate of events through and counts the others.
// It is safe for concurrent use.
type sampler struct {
	lim     *rate.Limiter
	skipped atomic.Int64
}

func newSampler(perSecond float64, burst int) *sampler {
	return &sampler{lim: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// allow reports whether this event is let through, and if so how many
// were held back since the last one that was.
func (s *sampler) allow() (bool, int64) {
	if s == nil {
		return true, 0
	}
	if !s.lim.Allow() {
		s.skipped.Add(1)
		return false, 0
	}
	return true, s.skipped.Swap(0)
}

// maxLogValue bounds a request-borne value (an event ID, an error that
// quotes the request) in a log line or an answer.
const maxLogValue = 256

// clip cuts s to maxLogValue bytes, saying how long it was.
func clip(s string) string {
	if len(s) <= maxLogValue {
		return s
	}
	cut := maxLogValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", s[:cut], len(s))
}

// buildProviders builds cfg's providers; with dryRun their verifiers act
// on nothing outside themselves (a request checked offline, see
// config.Provider.DryRunVerifier).
func buildProviders(cfg *config.Config, dryRun bool) ([]*provider, error) {
	trusted, err := parsePrefixes(cfg.HTTP.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("http.trusted_proxies: %w", err)
	}
	out := make([]*provider, 0, len(cfg.Providers))
	for i := range cfg.Providers {
		pc := &cfg.Providers[i]
		build := pc.Verifier
		if dryRun {
			build = pc.DryRunVerifier
		}
		v, err := build()
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", pc.Name, err)
		}
		preset, _ := verify.Lookup(pc.Type)
		eventID, eventType := preset.EventID, preset.EventType
		if pc.Identify.EventID != "" {
			eventID = pc.Identify.EventID
		}
		if len(pc.Identify.EventType) > 0 {
			eventType = pc.Identify.EventType
		}
		ident, err := newIdentifier(eventID, eventType, pc.Ordering)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", pc.Name, err)
		}
		ident.configuredID, ident.configuredType = pc.Identify.EventID != "", len(pc.Identify.EventType) > 0
		edge, err := newEdge(pc, trusted)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", pc.Name, err)
		}
		out = append(out, &provider{
			edge:             edge,
			rateLimit:        pc.RateLimit,
			name:             pc.Name,
			path:             pc.Path,
			maxBody:          pc.MaxBody,
			ttl:              time.Duration(pc.Dedupe.TTL),
			bodyHash:         pc.Dedupe.BodyHash,
			dropTies:         pc.Ordering.Ties == "drop",
			subject:          pc.Subject,
			staleSubject:     staleSubject(pc),
			passHeaders:      pc.PassHeaders,
			methods:          methods(preset),
			credentials:      pc.CredentialHeaders(),
			credentialParams: pc.CredentialParams(),
			verifier:         v,
			ident:            ident,
			envelope:         newEnvelope(pc.Envelope, preset),
			rejects:          newSampler(rejectLogRate, rejectLogBurst),
			success:          preset.Success,
		})
	}
	return out, nil
}

// staleSubject is the subject template of a provider's stale events, empty
// when they are dropped.
func staleSubject(pc *config.Provider) string {
	if pc.Ordering.StaleForward() {
		return pc.Ordering.StaleSubject
	}
	return ""
}

// methods are the HTTP methods a provider uses: POST, plus GET for a
// handshake such as Meta's hub.challenge.
func methods(p verify.Preset) []string {
	if len(p.Methods) == 0 {
		return []string{http.MethodPost}
	}
	return p.Methods
}

// serve runs the pipeline for one provider: receive, verify, identify,
// decide, respond.
func (s *Server) serve(c echo.Context, p *provider) error {
	start := time.Now()
	ctx := c.Request().Context()
	r, err := s.process(c.Response(), p, c.Request())
	elapsed := time.Since(start)
	s.metrics.observe(p.name, r, err, elapsed)
	switch {
	case err != nil:
		status, msg, _ := classify(err)
		if ok, skipped := p.rejects.allow(); ok {
			attrs := []slog.Attr{slog.String("provider", p.name), slog.String("event_id", clip(r.id)),
				slog.Duration("latency", elapsed), slog.Int("status", status), slog.String("err", clip(err.Error()))}
			if skipped > 0 {
				attrs = append(attrs, slog.Int64("not_logged_before", skipped))
			}
			s.log.LogAttrs(ctx, slog.LevelInfo, "webhook rejected", attrs...)
		}
		msg = clip(msg)
		if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
			c.Response().Header().Set("Retry-After", retryAfterFor(err))
		}
		return c.JSONBlob(status, appendJSON(nil, "error", msg, "", ""))
	case r.handshake != nil:
		attrs := []slog.Attr{slog.String("provider", p.name), slog.Duration("latency", elapsed), slog.Int("secret_index", r.secret)}
		if r.handshake.Log != "" {
			attrs = append(attrs, slog.String("note", r.handshake.Log))
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "webhook handshake", attrs...)
		return respond(c, r.handshake)
	}
	// Decided events are the bulk of the traffic: a line each at debug
	// level; the metrics count them.
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.LogAttrs(ctx, slog.LevelDebug, outcomeMessages[r.outcome], slog.String("provider", p.name), slog.String("event_id", r.id),
			slog.Duration("latency", elapsed), slog.Int("secret_index", r.secret))
	}
	if p.success != nil {
		return respond(c, p.success)
	}
	status := http.StatusOK
	if r.outcome == webhook.Accepted {
		status = http.StatusAccepted
	}
	// The bulk of the answers: the header without Header.Set's copy, the
	// body in one allocation.
	c.Response().Header()[echo.HeaderContentType] = jsonContentType
	return c.JSONBlob(status, appendJSON(make([]byte, 0, 32+len(r.id)), "id", r.id, "status", r.outcome.String()))
}

// jsonContentType is the Content-Type value of JSON answers, shared by
// them (net/http only reads it).
var jsonContentType = []string{echo.MIMEApplicationJSON}

// respond writes an answer a provider expects: a handshake's, or a
// preset's success.
func respond(c echo.Context, a *verify.Response) error {
	for k, vs := range a.Header {
		for _, v := range vs {
			c.Response().Header().Add(k, v)
		}
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	if len(a.Body) == 0 && a.ContentType == "" {
		return c.NoContent(status)
	}
	return c.Blob(status, a.ContentType, a.Body)
}

// outcomeMessages are the log messages of the decided outcomes.
var outcomeMessages = map[webhook.Outcome]string{webhook.Accepted: "webhook accepted", webhook.Duplicate: "webhook duplicate", webhook.Stale: "webhook stale"}

// appendJSON appends a JSON object of one or two string members (k2 empty:
// one), keys in the order given; the answers are this small and this hot.
func appendJSON(b []byte, k1, v1, k2, v2 string) []byte {
	b = append(b, '{')
	b = appendJSONString(append(appendJSONString(b, k1), ':'), v1)
	if k2 != "" {
		b = appendJSONString(append(appendJSONString(append(b, ','), k2), ':'), v2)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		q, _ := json.Marshal(s) // replaces invalid bytes as encoding/json does
		return append(b, q...)
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// processed is what the pipeline made of one request.
type processed struct {
	id        string
	outcome   webhook.Outcome
	secret    int              // index of the secret that matched, -1 before verification
	handshake *verify.Response // set for a handshake: answer it, record nothing
}

func (s *Server) process(w http.ResponseWriter, p *provider, req *http.Request) (processed, error) {
	r := processed{secret: -1}
	client, err := p.edge.allowed(req)
	if err != nil {
		return r, err
	}
	if req.ProtoMajor == 2 {
		// Several requests share an HTTP/2 connection: each beyond the
		// first takes a connection slot of its own, so that bodies
		// arriving or held stay within http.max_conns.
		c, extra, err := s.conns.openStream(req.Context())
		if err != nil {
			return r, err
		}
		defer s.conns.closeStream(c, extra)
	}
	if d := s.cfg.HTTP.BodyTimeout; d > 0 {
		// The whole body must arrive in time; past it the read fails and
		// the request is answered 408 (errors ignored: a ResponseWriter
		// without deadlines, as in tests, has only the server's timeouts).
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(time.Duration(d)))
	}
	s.receiving.Add(1)
	b, err := readBody(req.Body, req.ContentLength, p.maxBody)
	s.receiving.Add(-1)
	if err != nil {
		return r, err
	}
	defer b.Release()
	body := b.Bytes()
	// The work slot is taken once the body is here: a slow sender holds a
	// connection, never a slot.
	if err := s.admission.acquire(p.name, client); err != nil {
		return r, err
	}
	defer s.admission.release(p.name, client)
	if s.log.Enabled(req.Context(), slog.LevelDebug) {
		// Bodies are logged only when debug logging is asked for.
		s.log.Debug("webhook body", "provider", p.name, "body", string(body))
	}
	now := s.now()
	vr := &verify.Request{Method: req.Method, URL: requestURL(req), Header: req.Header, Body: body}
	res, err := p.verifier.Verify(vr, now)
	if err != nil {
		if s.quarantine != nil {
			_, _, reason := classify(err)
			s.quarantine.keep(quarantined{provider: p.name, reason: reason, err: err.Error(),
				req: &verify.Request{Method: vr.Method, URL: verify.RedactQuery(vr.URL, p.credentialParams), Header: verify.Redact(req.Header, p.credentials), Body: body}, at: now})
		}
		return r, err
	}
	r.secret = res.SecretIndex
	// Only a verified request spends the provider's rate limit: a
	// handshake anyone may send (an echoed challenge) does not, so that a
	// stranger cannot exhaust it.
	if !res.Unsigned() {
		if err := p.edge.spend(now); err != nil {
			return r, err
		}
	}
	if res.Response != nil {
		r.handshake = res.Response
		return r, nil
	}
	ident, fields, ev, err := p.identified(req.Header, body, res, now)
	r.id = ident.ID
	if err != nil {
		return r, err
	}
	rt, err := s.complete(req.Context(), p, ident, req.Header, fields, ev)
	if err != nil {
		return r, err
	}
	// The decider copies what it keeps of the body (the buffer is released
	// when this returns).
	r.outcome, err = s.decider.Decide(req.Context(), ev)
	if err == nil && r.outcome == webhook.Accepted {
		rt.count(ev.Drop)
	}
	return r, err
}

// identified reads a verified request's identity and builds its event. It
// also returns the JSON the identity was read from (fields): the body, or
// the payload the signature carried.
func (p *provider) identified(h http.Header, body []byte, res verify.Result, now time.Time) (identity, []byte, *webhook.Event, error) {
	fields := body
	if res.Payload != nil {
		fields = res.Payload
	}
	id, err := p.ident.identify(h, fields, res)
	if err != nil {
		return id, fields, nil, err
	}
	ev, err := p.event(id, h, body, now)
	return id, fields, ev, err
}

// complete size-checks the event's messages and gives it its routes'
// copies (rules.go), before the decision: the copies are decided with the
// event. fields is the JSON its identity was read from. What the routes
// did is returned, to be counted once the event is accepted.
func (s *Server) complete(ctx context.Context, p *provider, id identity, h http.Header, fields []byte, ev *webhook.Event) (routed, error) {
	extra := 0 // what a stale event's message adds
	if ev.StaleSubject != "" {
		extra = webhook.StaleHeaderSize
	}
	if err := s.fitsWith(&ev.Message, extra); err != nil {
		return routed{}, err
	}
	if rs := s.rules.Load(); rs != nil {
		return s.route(ctx, rs, p, id, h, fields, ev)
	}
	return routed{}, nil
}

// Decider records the fate of an event: duplicate, stale, or accepted with
// its message queued for the stream. It returns only once the decision is
// durable; an error means nothing was recorded for the event (a jetstream
// decision whose acknowledgement timed out may have been stored: its retry
// is then a duplicate). The handler depends on this interface alone: the
// SQLite store (store.Writer) and the JetStream stream (jsstore.Decider)
// implement it, and both pass webhook/decidertest. ev.Message.Body is the
// request's pooled read buffer: Decide copies what it keeps and holds no
// reference to it once it returns.
type Decider interface {
	Decide(ctx context.Context, ev *webhook.Event) (webhook.Outcome, error)
}

var (
	_ Decider = (*store.Writer)(nil)
	_ Decider = (*jsstore.Decider)(nil)
)

// event builds what the decider records: the idempotency key, the ordering
// entity and the outgoing NATS message. The subject and headers are
// computed here and nowhere else, and the body shaped by the provider's
// envelope (envelope.go).
func (p *provider) event(id identity, h http.Header, body []byte, now time.Time) (*webhook.Event, error) {
	// The gateway's own headers share one backing array (one allocation
	// instead of one per header); the keys are canonical already.
	ct := h.Get("Content-Type")
	if len(ct) > MaxContentType {
		return nil, fmt.Errorf("%w: the Content-Type is %d bytes; the limit is %d", ErrValueTooLong, len(ct), MaxContentType)
	}
	vals := []string{p.name, id.ID, id.Type, now.UTC().Format(time.RFC3339Nano), id.Entity, id.VersionRaw, ct}
	hdr := make(nats.Header, len(vals)+len(p.passHeaders))
	hdr[forward.HeaderProvider] = vals[0:1:1]
	hdr[forward.HeaderEventID] = vals[1:2:2]
	hdr[forward.HeaderEventType] = vals[2:3:3]
	hdr[forward.HeaderReceivedAt] = vals[3:4:4]
	if id.Ordered {
		hdr[forward.HeaderOrderingKey] = vals[4:5:5]
		hdr[forward.HeaderOrderingVersion] = vals[5:6:6]
	}
	// The body is forwarded byte for byte, so its media type goes with it:
	// a consumer tells a Slack form from JSON without guessing.
	if ct != "" {
		hdr["Content-Type"] = vals[6:7:7]
	}
	passed := 0
	for _, name := range p.passHeaders {
		vs := h.Values(name)
		for _, v := range vs {
			if len(v) > MaxPassHeader {
				return nil, fmt.Errorf("%w: the passed header %s is %d bytes; the limit is %d", ErrValueTooLong, http.CanonicalHeaderKey(name), len(v), MaxPassHeader)
			}
			passed += len(v)
		}
		if len(vs) > 0 {
			hdr[http.CanonicalHeaderKey(name)] = append([]string(nil), vs...)
		}
	}
	if passed > MaxPassHeaders {
		return nil, fmt.Errorf("%w: the passed headers (pass_headers) are %d bytes together; the limit is %d", ErrValueTooLong, passed, MaxPassHeaders)
	}
	bodyKey := p.bodyKey(id.ID, body)
	body = p.envelope.apply(hdr, envelopeInput{provider: p.name, id: id, receivedAt: vals[3], ct: ct, h: h, body: body})
	key := p.name + ":" + id.ID
	ev := &webhook.Event{
		Provider:    p.name,
		ID:          id.ID,
		Type:        id.Type,
		Key:         key,
		TTL:         p.ttl,
		BodyKey:     bodyKey,
		Ordered:     id.Ordered,
		Entity:      p.name + ":" + id.Entity,
		Version:     id.Version,
		VersionKind: id.Kind,
		DropTies:    p.dropTies,
		Message: forward.Message{
			ID:      key,
			Subject: forward.Subject(p.subject, p.name, id.Type),
			Header:  hdr,
			Body:    body,
		},
	}
	if id.Ordered && p.staleSubject != "" {
		ev.StaleSubject = forward.Subject(p.staleSubject, p.name, id.Type) // if it turns out stale
	}
	return ev, nil
}

// fits checks a message against what the NATS server and the stream take,
// with room for its replay: recorded, a message that (or whose replay)
// could not be published would stall the relay.
func (s *Server) fits(m *forward.Message) error { return s.fitsWith(m, 0) }

// fitsWith is fits for m with extra more bytes of headers.
func (s *Server) fitsWith(m *forward.Message, extra int) error {
	extra += replayRoom + s.signRoom()
	hdr, size := m.HeaderSize()+extra, int64(m.Size()+extra)
	if hdr > forward.MaxHeaderSize {
		return fmt.Errorf("%w: the message's NATS headers are %d bytes with a replay's; JetStream stores at most %d", ErrValueTooLong, hdr, forward.MaxHeaderSize)
	}
	if limit := s.maxPayload(); limit > 0 && size > limit {
		return fmt.Errorf("%w: %d bytes with its NATS headers, %d with a replay's; the NATS server takes at most %d (max_payload)",
			ErrTooLarge, m.Size(), size, limit)
	}
	if limit := s.streamMaxMsg.Load(); limit > 0 && size > limit {
		return fmt.Errorf("%w: %d bytes with its NATS headers, %d with a replay's; the stream takes at most %d (max_msg_size)",
			ErrTooLarge, m.Size(), size, limit)
	}
	if stored := m.RecordSize() + extra; stored > forward.MaxStoredRecord {
		return fmt.Errorf("%w: %d bytes stored with its NATS headers and subject, %d with a replay's; JetStream's file store takes at most %d a message",
			ErrTooLarge, m.RecordSize(), stored, forward.MaxStoredRecord)
	}
	return nil
}

// replayRoom is what a replay adds to a message (":replay:<replay ID>" on
// its Nats-Msg-Id and a Hookgate-Replay header, 85 bytes with the IDs
// store.NewReplayID makes): an accepted event keeps room for it under max_payload,
// so that its replay can be published too.
const replayRoom = 128

// requestURL is the URL the provider called, for schemes that sign it.
func requestURL(req *http.Request) string {
	scheme := "http"
	if req.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + req.Host + req.URL.RequestURI()
}
