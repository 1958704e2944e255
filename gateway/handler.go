package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"

	"hookgate/forward"
	"hookgate/verify"
)

// provider is a configured provider ready to serve requests.
type provider struct {
	name        string
	path        string
	maxBody     int64
	ttl         time.Duration
	dropTies    bool
	subject     string
	passHeaders []string
	methods     []string // HTTP methods routed to the handler
	credentials []string // request headers that carry a secret: never quarantined
	edge        *edge
	rateLimit   RateLimitConfig
	verifier    verify.Verifier
	ident       *identifier
}

// credentialHeaders lists the headers a quarantined request must not keep:
// the usual credential headers, and for schemes whose header holds the
// secret itself (a token, basic auth) the headers the scheme reads.
func credentialHeaders(preset verify.Preset, header string) []string {
	hs := []string{"Authorization", "Proxy-Authorization", "Cookie"}
	if preset.Scheme == "token" || preset.Scheme == "basic-auth" {
		hs = append(hs, preset.Headers...)
		if header != "" {
			hs = append(hs, header)
		}
	}
	return hs
}

func buildProviders(cfg *Config) ([]*provider, error) {
	trusted, err := parsePrefixes(cfg.HTTP.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("http.trusted_proxies: %w", err)
	}
	out := make([]*provider, 0, len(cfg.Providers))
	for i := range cfg.Providers {
		pc := &cfg.Providers[i]
		v, err := pc.Verifier()
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
			edge:        edge,
			rateLimit:   pc.RateLimit,
			name:        pc.Name,
			path:        pc.Path,
			maxBody:     pc.MaxBody,
			ttl:         time.Duration(pc.Dedupe.TTL),
			dropTies:    pc.Ordering.Ties == "drop",
			subject:     pc.Subject,
			passHeaders: pc.PassHeaders,
			methods:     methods(preset),
			credentials: credentialHeaders(preset, pc.Options.Header),
			verifier:    v,
			ident:       ident,
		})
	}
	return out, nil
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
	r, err := s.process(p, c.Request())
	elapsed := time.Since(start)
	s.metrics.observe(p.name, r, err, elapsed)
	switch {
	case err != nil:
		status, msg, _ := classify(err)
		s.log.LogAttrs(ctx, slog.LevelInfo, "webhook rejected", slog.String("provider", p.name), slog.String("event_id", r.id),
			slog.Duration("latency", elapsed), slog.Int("status", status), slog.Any("err", err))
		if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
			c.Response().Header().Set("Retry-After", retryAfterFor(err))
		}
		return c.JSONBlob(status, appendJSON(nil, "error", msg, "", ""))
	case r.handshake != nil:
		s.log.LogAttrs(ctx, slog.LevelInfo, "webhook handshake", slog.String("provider", p.name),
			slog.Duration("latency", elapsed), slog.Int("secret_index", r.secret))
		for k, vs := range r.handshake.Header {
			for _, v := range vs {
				c.Response().Header().Add(k, v)
			}
		}
		status := r.handshake.Status
		if status == 0 {
			status = http.StatusOK
		}
		return c.Blob(status, r.handshake.ContentType, r.handshake.Body)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, outcomeMessages[r.outcome], slog.String("provider", p.name), slog.String("event_id", r.id),
		slog.Duration("latency", elapsed), slog.Int("secret_index", r.secret))
	status := http.StatusOK
	if r.outcome == Accepted {
		status = http.StatusAccepted
	}
	return c.JSONBlob(status, appendJSON(nil, "id", r.id, "status", r.outcome.String()))
}

// outcomeMessages are the log messages of the decided outcomes.
var outcomeMessages = map[Outcome]string{Accepted: "webhook accepted", Duplicate: "webhook duplicate", Stale: "webhook stale"}

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
	outcome   Outcome
	secret    int              // index of the secret that matched, -1 before verification
	handshake *verify.Response // set for a handshake: answer it, record nothing
}

func (s *Server) process(p *provider, req *http.Request) (processed, error) {
	r := processed{secret: -1}
	if s.inFlight != nil {
		select {
		case s.inFlight <- struct{}{}:
			defer func() { <-s.inFlight }()
		default:
			return r, ErrBusy
		}
	}
	if p.edge != nil {
		if _, err := p.edge.check(req, time.Now()); err != nil {
			return r, err
		}
	}
	body, err := readBody(req, p.maxBody)
	if err != nil {
		return r, err
	}
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
				req: &verify.Request{Method: vr.Method, URL: vr.URL, Header: redact(req.Header, p.credentials), Body: body}, at: now})
		}
		return r, err
	}
	r.secret = res.SecretIndex
	if res.Response != nil {
		r.handshake = res.Response
		return r, nil
	}
	fields := body // where the event's fields are read
	if res.Payload != nil {
		fields = res.Payload
	}
	ident, err := p.ident.identify(req.Header, fields, res)
	r.id = ident.ID
	if err != nil {
		return r, err
	}
	ev := p.event(ident, req.Header, body, now)
	if limit := s.maxPayload(); limit > 0 && int64(ev.Message.Size()+replayRoom) > limit {
		// Recorded, it (or its replay) could never be published: the relay
		// would stall on it.
		return r, fmt.Errorf("%w: %d bytes with its NATS headers, %d with a replay's; the NATS server takes at most %d (max_payload)",
			ErrTooLarge, ev.Message.Size(), ev.Message.Size()+replayRoom, limit)
	}
	r.outcome, err = s.decider.Decide(req.Context(), ev)
	return r, err
}

// event builds what the writer records: the idempotency key, the ordering
// entity and the outgoing NATS message. The subject and headers are
// computed here and nowhere else.
func (p *provider) event(id identity, h http.Header, body []byte, now time.Time) *Event {
	hdr := nats.Header{}
	hdr.Set(forward.HeaderProvider, p.name)
	hdr.Set(forward.HeaderEventID, id.ID)
	hdr.Set(forward.HeaderEventType, id.Type)
	hdr.Set(forward.HeaderReceivedAt, now.UTC().Format(time.RFC3339Nano))
	if id.Ordered {
		hdr.Set(forward.HeaderOrderingKey, id.Entity)
		hdr.Set(forward.HeaderOrderingVersion, id.VersionRaw)
	}
	// The body is forwarded byte for byte, so its media type goes with it:
	// a consumer tells a Slack form from JSON without guessing.
	if ct := h.Get("Content-Type"); ct != "" {
		hdr.Set("Content-Type", ct)
	}
	for _, name := range p.passHeaders {
		if vs := h.Values(name); len(vs) > 0 {
			hdr[http.CanonicalHeaderKey(name)] = append([]string(nil), vs...)
		}
	}
	key := p.name + ":" + id.ID
	return &Event{
		Provider: p.name,
		ID:       id.ID,
		Type:     id.Type,
		Key:      key,
		TTL:      p.ttl,
		Ordered:  id.Ordered,
		Entity:   p.name + ":" + id.Entity,
		Version:  id.Version,
		DropTies: p.dropTies,
		Message: forward.Message{
			ID:      key,
			Subject: forward.Subject(p.subject, p.name, id.Type),
			Header:  hdr,
			Body:    body,
		},
	}
}

// replayRoom is what a replay adds to a message (":replay:<replay ID>" on
// its Nats-Msg-Id and a Hookgate-Replay header, 85 bytes with the IDs
// ReplayDB makes): an accepted event keeps room for it under max_payload,
// so that its replay can be published too.
const replayRoom = 128

// exactBody is the largest declared length read into a buffer allocated
// up front. A larger body's buffer grows with the bytes that arrive, so a
// client that declares a length and sends nothing cannot make the gateway
// hold it (before any signature is checked).
const exactBody = 64 << 10

// readBody reads the whole body, refusing while reading once it passes max
// so an oversized body is never buffered. A declared length up to
// exactBody is read into a buffer of exactly that size.
func readBody(req *http.Request, max int64) ([]byte, error) {
	if req.ContentLength > max {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, req.ContentLength, max)
	}
	if n := req.ContentLength; n >= 0 && n <= exactBody {
		body := make([]byte, n)
		if _, err := io.ReadFull(req.Body, body); err != nil {
			return nil, fmt.Errorf("%w: reading body: %w", ErrMalformed, err)
		}
		return body, nil // net/http stops the body at its declared length
	}
	var buf bytes.Buffer
	_, err := buf.ReadFrom(io.LimitReader(req.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading body: %w", ErrMalformed, err)
	}
	if int64(buf.Len()) > max {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	}
	return buf.Bytes(), nil
}

// requestURL is the URL the provider called, for schemes that sign it.
func requestURL(req *http.Request) string {
	scheme := "http"
	if req.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + req.Host + req.URL.RequestURI()
}
