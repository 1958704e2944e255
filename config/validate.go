package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/ordering"
	"github.com/hookgate/hookgate/verify"
	"github.com/hookgate/hookgate/webhook"
)

// validator gathers the problems of a config, each naming its field, and
// the addresses it listens on (no two may take one port).
type validator struct {
	errs      []error
	listeners []listener
}

// bad reports a problem of field.
func (v *validator) bad(field, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...)))
}

// listen records an address something listens on, or reports it as bad.
// item returns the bad of entry i of a list section, named in its errors
// as "section[i] (name).field".
func (v *validator) item(section string, i int, name string) func(field, format string, args ...any) {
	prefix := section + "[" + strconv.Itoa(i) + "]"
	if name != "" {
		prefix += " (" + name + ")"
	}
	return func(field, format string, args ...any) { v.bad(prefix+"."+field, format, args...) }
}

func (v *validator) listen(field, addr, hint string) {
	host, port, err := splitListen(addr)
	if err != nil {
		v.bad(field, "%q is not host:port with a port from 0 to 65535%s (%v)", addr, hint, err)
		return
	}
	v.listeners = append(v.listeners, listener{field, addr, host, port})
}

// positive sets *d to def when it is 0, and reports a negative one.
func (v *validator) positive(field string, d *Duration, def time.Duration) {
	if *d == 0 {
		*d = Duration(def)
	} else if *d < 0 {
		v.bad(field, "must be positive")
	}
}

// Validate fills defaults and checks every field. It returns all problems at
// once, each naming its field and wrapping ErrInvalid; nil means the config
// can be started.
func (c *Config) Validate() error {
	v := &validator{}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	v.listen("listen", c.Listen, "")
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	c.validateStorage(v)
	c.validateAdmin(v)
	streamSubjects := c.NATS.validate(v)
	c.HTTP.validate(v)
	if len(c.Providers) == 0 {
		v.bad("providers", "at least one provider is required")
	}
	names, paths := map[string]int{}, map[string]int{}
	for i := range c.Providers {
		c.Providers[i].validate(v, i, names, paths, &c.NATS, streamSubjects)
	}
	if c.Admin.Auth != nil { // once the providers' secret files are read
		c.Admin.Auth.checkShared(c.Providers, v.bad)
	}
	c.validateRoutes(v, streamSubjects)
	c.validateSubjectOverlaps(v)
	c.validateDeliveries(v)
	c.validateBackend(v)
	c.validateEnvelopes(v)
	return errors.Join(v.errs...)
}

// ValidateClient is Validate for a config LoadClient read: it fills the
// defaults of nats and the deliveries and checks them (the deliveries'
// headers against the providers' pass_headers), and nothing else.
func (c *Config) ValidateClient() error {
	v := &validator{}
	c.NATS.validate(v)
	c.validateDeliveries(v)
	return errors.Join(v.errs...)
}

// validateEnvelopes checks the top-level envelope and the providers',
// defaulting the first to raw and the others to the first.
func (c *Config) validateEnvelopes(v *validator) {
	if c.Envelope == "" {
		c.Envelope = EnvelopeRaw
	}
	if !knownEnvelope(c.Envelope) {
		v.bad("envelope", "%q is not raw, cloudevents or json", c.Envelope)
	}
	for i := range c.Providers {
		p := &c.Providers[i]
		if p.Envelope == "" {
			p.Envelope = c.Envelope
			continue
		}
		if !knownEnvelope(p.Envelope) {
			field := fmt.Sprintf("providers[%d]", i)
			if p.Name != "" {
				field += " (" + p.Name + ")"
			}
			v.bad(field+".envelope", "%q is not raw, cloudevents or json", p.Envelope)
		}
	}
}

func knownEnvelope(e string) bool {
	return e == EnvelopeRaw || e == EnvelopeCloudEvents || e == EnvelopeJSON
}

// validateStorage checks storage, archive and quarantine.
func (c *Config) validateStorage(v *validator) {
	st := &c.Storage
	switch strings.ToLower(st.Synchronous) {
	case "":
		st.Synchronous = "full"
	case "full", "normal":
		st.Synchronous = strings.ToLower(st.Synchronous)
	default:
		v.bad("storage.synchronous", "%q is not full or normal", st.Synchronous)
	}
	v.positive("storage.sweep_interval", &st.SweepInterval, time.Minute)
	v.positive("storage.busy_timeout", &st.BusyTimeout, 5*time.Second)
	v.atLeastOne("storage.outbox_max_rows", &st.OutboxMaxRows, DefaultOutboxMaxRows)
	v.atLeastOne("storage.outbox_max_bytes", &st.OutboxMaxBytes, DefaultOutboxMaxBytes)
	v.positive("archive.retention", &c.Archive.Retention, DefaultArchiveRetention)
	if c.Quarantine.MaxCount == 0 {
		c.Quarantine.MaxCount = 1000
	} else if c.Quarantine.MaxCount < 0 {
		v.bad("quarantine.max_count", "must be positive")
	}
	v.atLeastOne("quarantine.max_bytes", &c.Quarantine.MaxBytes, 16<<20)
}

// atLeastOne sets *n to def when it is 0, and reports a negative one.
func (v *validator) atLeastOne(field string, n *int64, def int64) {
	if *n == 0 {
		*n = def
	} else if *n < 0 {
		v.bad(field, "must be positive")
	}
}

// validateAdmin checks the admin listener and the admin API's auth.
func (c *Config) validateAdmin(v *validator) {
	if c.Admin.Listen == "" {
		c.Admin.Listen = DefaultAdminListen
	}
	if c.Admin.Auth != nil {
		c.Admin.Auth.validate(v.bad)
	}
	if c.Admin.Listen != "off" {
		v.listen("admin.listen", c.Admin.Listen, ", or off")
	}
}

// validate checks nats and the listeners gathered so far (the embedded
// server's port is the last of them). It returns the stream's subjects
// when hookgate creates the stream in jetstream mode and they are valid:
// the subjects the providers' templates must fall inside (nil: not known
// here).
func (n *NATS) validate(v *validator) []string {
	bad := v.bad
	if n.Embedded() {
		if n.Host == "" {
			n.Host = DefaultNATSHost
		}
		if n.Port == 0 {
			n.Port = DefaultNATSPort
		}
		if n.Port < -1 || n.Port > 65535 {
			bad("nats.port", "%d is not a port", n.Port)
		} else if n.Port > 0 {
			v.listeners = append(v.listeners, listener{"nats.port", net.JoinHostPort(n.Host, strconv.Itoa(n.Port)), n.Host, n.Port})
		}
		for _, k := range n.NATSAuth.set() {
			bad("nats."+k, "only applies with nats.url (the embedded server takes nats.users)")
		}
		if len(n.Users) == 0 && !loopbackHost(n.Host) {
			bad("nats.host", "%q is not a loopback address, and without nats.users anyone who reaches the port could publish forged events and change the stream: set nats.users, or listen on 127.0.0.1", n.Host)
		}
	} else {
		if n.Host != "" || n.Port != 0 || n.SyncInterval != 0 {
			bad("nats", "host, port and sync_interval configure the embedded server; remove them when url is set")
		}
		if len(n.Users) > 0 {
			bad("nats.users", "only applies to the embedded server: with nats.url, the users are the NATS server's own")
		}
		n.NATSAuth.validate(n.URL, bad)
	}
	if n.SyncInterval < 0 {
		bad("nats.sync_interval", "must be positive")
	}
	switch n.Mode {
	case "":
		n.Mode = "jetstream"
	case "jetstream", "core":
	default:
		bad("nats.mode", "%q is not jetstream or core", n.Mode)
	}
	if n.Stream == "" {
		n.Stream = DefaultStream
	}
	if strings.ContainsAny(n.Stream, " .*>\t") {
		bad("nats.stream", "%q may not contain spaces, '.', '*' or '>'", n.Stream)
	}
	v.checkListeners()
	streamSubjects, subjectsOK := n.validateSubjects(v)
	n.validateUsers(subjectsOK, bad)
	v.positive("nats.duplicate_window", &n.DuplicateWindow, DefaultDuplicateWindow)
	if n.MaxAge < 0 || n.MaxBytes < 0 {
		bad("nats", "max_age and max_bytes must be positive (0: no limit)")
	} else if n.MaxAge > 0 && n.MaxAge < n.DuplicateWindow {
		bad("nats.max_age", "%s is shorter than the duplicate window %s", time.Duration(n.MaxAge), time.Duration(n.DuplicateWindow))
	}
	if n.CreateStream == nil {
		create := n.Embedded()
		n.CreateStream = &create
	}

	// Provider subjects are checked against the stream's subjects only
	// when hookgate creates the stream: otherwise they are not known here.
	if !*n.CreateStream || n.Mode != "jetstream" {
		return nil
	}
	return streamSubjects
}

// checkListeners reports two listeners on one port.
func (v *validator) checkListeners() {
	for i, l := range v.listeners {
		for _, o := range v.listeners[:i] {
			if l.port != 0 && l.port == o.port && hostsOverlap(l.host, o.host) {
				v.bad(l.field, "%q takes the same port as %s %q: both cannot listen", l.addr, o.field, o.addr)
			}
		}
	}
}

// validateSubjects checks nats.subjects (forward's rules for a stream's
// subjects) and returns them, nil when one is invalid.
func (n *NATS) validateSubjects(v *validator) (subjects []string, ok bool) {
	if len(n.Subjects) == 0 {
		n.Subjects = []string{DefaultStreamSubject}
	}
	ok = true
	for i, subj := range n.Subjects {
		field := "nats.subjects[" + strconv.Itoa(i) + "]"
		if problem := forward.StreamSubjectProblem(subj); problem != "" {
			v.bad(field, "%q %s", subj, problem)
			ok = false
			continue
		}
		for _, prev := range subjects {
			if forward.SubjectsOverlap(subj, prev) {
				v.bad(field, "%q overlaps %q (NATS refuses a stream whose subjects overlap)", subj, prev)
			}
		}
		subjects = append(subjects, subj)
	}
	if !ok {
		return nil, false
	}
	return subjects, true
}

// validate checks http.
func (h *HTTP) validate(v *validator) {
	v.positive("http.read_header_timeout", &h.ReadHeaderTimeout, 5*time.Second)
	v.positive("http.read_timeout", &h.ReadTimeout, 30*time.Second)
	v.positive("http.body_timeout", &h.BodyTimeout, DefaultBodyTimeout)
	v.positive("http.write_timeout", &h.WriteTimeout, 30*time.Second)
	v.positive("http.idle_timeout", &h.IdleTimeout, 120*time.Second)
	v.positive("http.shutdown_timeout", &h.ShutdownTimeout, 10*time.Second)
	if h.MaxHeaderBytes == 0 {
		h.MaxHeaderBytes = 64 << 10
	} else if h.MaxHeaderBytes < 1024 {
		v.bad("http.max_header_bytes", "%d is too small (at least 1024)", h.MaxHeaderBytes)
	}
	if h.MaxConns == 0 {
		h.MaxConns = DefaultMaxConns
	} else if h.MaxConns < 0 {
		v.bad("http.max_conns", "must be positive")
	}
	switch {
	case h.MaxConnsPerClient == 0:
		h.MaxConnsPerClient = max(1, h.MaxConns/4)
	case h.MaxConnsPerClient < 0:
		v.bad("http.max_conns_per_client", "must be positive")
	case h.MaxConnsPerClient > h.MaxConns && h.MaxConns > 0:
		v.bad("http.max_conns_per_client", "%d is more than http.max_conns (%d)", h.MaxConnsPerClient, h.MaxConns)
	}
	switch {
	case h.MaxConcurrentStreams == 0:
		h.MaxConcurrentStreams = DefaultMaxStreams
	case h.MaxConcurrentStreams < 0 || h.MaxConcurrentStreams > 1000:
		v.bad("http.max_concurrent_streams", "%d is out of range (1 to 1000)", h.MaxConcurrentStreams)
	}
	if h.MaxInFlight == 0 {
		h.MaxInFlight = DefaultMaxInFlight
	} else if h.MaxInFlight < 0 {
		v.bad("http.max_in_flight", "must be positive")
	}
	for _, f := range []struct {
		field string
		v     *int
		share int
	}{
		{"http.max_in_flight_per_provider", &h.MaxInFlightPerProvider, 2},
		{"http.max_in_flight_per_client", &h.MaxInFlightPerClient, 4},
	} {
		switch {
		case *f.v == 0:
			*f.v = max(1, h.MaxInFlight/f.share)
		case *f.v < 0:
			v.bad(f.field, "must be positive")
		case *f.v > h.MaxInFlight && h.MaxInFlight > 0:
			v.bad(f.field, "%d is more than http.max_in_flight (%d)", *f.v, h.MaxInFlight)
		}
	}
	if _, err := ParsePrefixes(h.TrustedProxies); err != nil {
		v.bad("http.trusted_proxies", "%v", err)
	}
	if (h.TLS.CertFile == "") != (h.TLS.KeyFile == "") {
		v.bad("http.tls", "cert_file and key_file go together")
	} else if h.TLS.CertFile != "" {
		if _, err := tls.LoadX509KeyPair(h.TLS.CertFile, h.TLS.KeyFile); err != nil {
			v.bad("http.tls", "%v", err)
		}
	}
}

var providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// validate checks providers[i]. names and paths hold the providers before
// it; n is the validated nats section, and streamSubjects the subjects its
// template must fall inside (nil: not checked).
func (p *Provider) validate(v *validator, i int, names, paths map[string]int, n *NATS, streamSubjects []string) {
	f := func(field string) string {
		s := fmt.Sprintf("providers[%d]", i)
		if p.Name != "" {
			s += " (" + p.Name + ")"
		}
		if field != "" {
			s += "." + field
		}
		return s
	}
	bad := func(field, format string, args ...any) { v.bad(f(field), format, args...) }
	p.validateName(bad, i, names, paths)
	p.validateScheme(bad)
	if p.MaxBody == 0 {
		p.MaxBody = DefaultMaxBody
	} else if p.MaxBody < 0 {
		bad("max_body", "must be a positive number of bytes")
	}
	defaultTTL := ""
	if p.Dedupe.TTL == 0 {
		p.Dedupe.TTL = Duration(DefaultTTL)
		defaultTTL = " (the default)"
	}
	if p.Dedupe.TTL < 0 {
		bad("dedupe.ttl", "must be positive")
	} else if p.Dedupe.TTL > Duration(webhook.MaxTTL) {
		bad("dedupe.ttl", "%s is longer than the most, %s (100 years)", time.Duration(p.Dedupe.TTL), webhook.MaxTTL)
	} else if p.Dedupe.TTL < n.DuplicateWindow {
		// A retry after the TTL would be accepted again and then dropped
		// by the stream as a duplicate of the first message.
		bad("dedupe.ttl", "%s%s is shorter than nats.duplicate_window %s", time.Duration(p.Dedupe.TTL), defaultTTL, time.Duration(n.DuplicateWindow))
	}
	if p.Subject == "" {
		p.Subject = DefaultSubject
	}
	if err := forward.ValidateTemplate(p.Subject); err != nil {
		bad("subject", "%v", err)
	} else if streamSubjects != nil && providerName.MatchString(p.Name) && !forward.TemplateCovered(p.Subject, p.Name, streamSubjects) {
		hint := ""
		if strings.Contains(p.Subject, "{type}") {
			hint = "; {type} renders to one or more tokens, so only a '>' at or before its place covers it"
		}
		bad("subject", "%q does not fall inside nats.subjects %q: the stream hookgate creates would not store these events, and the relay would retry them for ever%s", p.Subject, n.Subjects, hint)
	}
	p.validateIdentify(bad)
	p.validateStale(bad, n, streamSubjects)
	if _, err := ParsePrefixes(p.Allow); err != nil {
		bad("allow", "%v", err)
	}
	if p.RateLimit.RPS < 0 || p.RateLimit.Burst < 0 || (p.RateLimit.Burst > 0 && p.RateLimit.RPS == 0) {
		bad("rate_limit", "rps must be positive, and burst needs rps")
	}
	for j, hname := range p.PassHeaders {
		field := "pass_headers[" + strconv.Itoa(j) + "]"
		lower := strings.ToLower(hname)
		switch {
		case strings.HasPrefix(lower, "nats-"), strings.HasPrefix(lower, "hookgate-"), strings.HasPrefix(lower, "ce-"):
			// Nats-* steer the server (Nats-Msg-Id, Nats-Expected-*);
			// Hookgate-* are the gateway's own and must not be forged;
			// ce-* are the cloudevents envelope's attributes (a passed
			// Ce-Id beside its ce-id would be two spellings of one
			// header), refused whatever the envelope, as route headers
			// are, so that a change of envelope cannot make them clash.
			bad(field, "%q is reserved: Nats-* and Hookgate-* headers are set by the gateway, ce-* by the cloudevents envelope", hname)
		case forward.ValidateHeaderName(hname) != nil:
			bad(field, "%q is not a header name: %v", hname, forward.ValidateHeaderName(hname))
		}
	}
}

// validateName checks the provider's name and path, unique among those
// before it, and defaults the path to /webhooks/<name>.
func (p *Provider) validateName(bad func(field, format string, args ...any), i int, names, paths map[string]int) {
	if !providerName.MatchString(p.Name) {
		bad("name", "%q must be lower-case letters, digits, '-' or '_'", p.Name)
	} else if j, dup := names[p.Name]; dup {
		bad("name", "%q is already used by providers[%d]", p.Name, j)
	} else {
		names[p.Name] = i
	}
	if p.Path == "" && providerName.MatchString(p.Name) {
		p.Path = "/webhooks/" + p.Name
	}
	j, dup := paths[p.Path]
	switch {
	case p.Path == "": // the name is invalid, and was reported
	case !strings.HasPrefix(p.Path, "/") || strings.ContainsAny(p.Path, " ?#*:"):
		bad("path", "%q must start with '/' and hold no spaces, '?', '#', '*' or ':'", p.Path)
	case dup:
		bad("path", "%q is already used by providers[%d]", p.Path, j)
	default:
		paths[p.Path] = i
	}
}

// validateScheme reads the secrets' files and checks the type, secrets and
// options by building the verifier (package verify owns those rules).
// Errors about a secret name its field and the rule it broke, never the
// secret.
func (p *Provider) validateScheme(bad func(field, format string, args ...any)) {
	secretsRead := true
	for j := range p.Secrets {
		if err := p.Secrets[j].load(); err != nil {
			bad("secrets["+strconv.Itoa(j)+"]", "%v", err)
			secretsRead = false
		}
	}
	switch _, known := verify.Lookup(p.Type); {
	case p.Type == "":
		bad("type", "required (see `hookgate providers`)")
	case !known:
		bad("type", "unknown type %q (see `hookgate providers`)", p.Type)
	case !secretsRead:
		// The files were reported; the scheme cannot be checked without them.
	default:
		if _, err := p.Verifier(); err != nil {
			if se, ok := errors.AsType[*verify.SecretError](err); ok && se.Index < len(p.Secrets) {
				bad(p.secretField(se.Index), "%s: %s", se.Type, se.Reason)
			} else { // scheme options (hmac, tolerance)
				bad("", "%v", err)
			}
		}
	}
	if p.Tolerance < 0 {
		bad("tolerance", "must be positive")
	}
}

// validateIdentify checks the identify and ordering sources.
func (p *Provider) validateIdentify(bad func(field, format string, args ...any)) {
	for _, src := range append([]string{p.Identify.EventID}, p.Identify.EventType...) {
		if err := checkSource(src); err != nil {
			bad("identify", "%v", err)
		}
	}
	o := &p.Ordering
	if o.Preset {
		// Idempotent: a config validated again keeps what it filled in.
		pr, _ := verify.Lookup(p.Type)
		switch po := pr.Ordering; {
		case po == nil:
			bad("ordering.preset", "%s has no natural version; set ordering.key and ordering.version", p.Type)
		case (o.Key != "" || o.Version != "" || o.Format != "") && (o.Key != po.Key || o.Version != po.Version || o.Format != po.Format):
			bad("ordering.preset", "takes key, version and format from the preset: set those, or preset, not both")
		default:
			o.Key, o.Version, o.Format = po.Key, po.Version, po.Format
		}
	}
	if !o.Enabled() && o.Version == "" && o.Format == "" && o.Ties == "" && o.Stale == "" && o.StaleSubject == "" {
		return
	}
	if o.Key == "" || o.Version == "" {
		bad("ordering", "key and version are both required")
	}
	for _, src := range []string{o.Key, o.Version} {
		if err := checkSource(src); err != nil {
			bad("ordering", "%v", err)
		}
	}
	if _, err := ordering.ParseFormat(o.Format); err != nil {
		bad("ordering.format", "%q is not auto, rfc3339, unix, unix_ms or sequence", o.Format)
	}
	switch o.Ties {
	case "", "forward", "drop":
	default:
		bad("ordering.ties", "%q is not forward or drop", o.Ties)
	}
}

// secretField names secrets[j] in errors, with its file if it has one.
func (p *Provider) secretField(j int) string {
	field := "secrets[" + strconv.Itoa(j) + "]"
	if file := p.Secrets[j].File; file != "" {
		field += fmt.Sprintf(" (file %q)", file)
	}
	return field
}
