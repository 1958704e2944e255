package config

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"hookgate/forward"
	"hookgate/ordering"
	"hookgate/verify"
)

// ErrInvalid is wrapped by every configuration error.
var ErrInvalid = errors.New("config")

// Defaults applied by Config.Validate to fields left empty.
const (
	DefaultListen           = ":8080"
	DefaultAdminListen      = "127.0.0.1:9090"
	DefaultDataDir          = "./data"
	DefaultNATSHost         = "127.0.0.1"
	DefaultNATSPort         = 4222
	DefaultStream           = "WEBHOOKS"
	DefaultStreamSubject    = "webhooks.>"
	DefaultDuplicateWindow  = 2 * time.Minute
	DefaultSubject          = "webhooks.{provider}.{type}"
	DefaultTTL              = 168 * time.Hour
	DefaultMaxBody          = 1 << 20
	DefaultOutboxMaxRows    = 1_000_000
	DefaultArchiveRetention = 720 * time.Hour
	DefaultOutboxMaxBytes   = 1 << 30
	DefaultBodyTimeout      = 10 * time.Second
	DefaultMaxConns         = 4096
	DefaultMaxInFlight      = 1024
)

// Config is the whole configuration file. Decode it with Read; it is
// ready to use only after Validate.
type Config struct {
	Listen     string     `yaml:"listen"`
	DataDir    string     `yaml:"data_dir"`
	Storage    Storage    `yaml:"storage"`
	NATS       NATS       `yaml:"nats"`
	HTTP       HTTP       `yaml:"http"`
	Admin      Admin      `yaml:"admin"`
	Archive    Archive    `yaml:"archive"`
	Quarantine Quarantine `yaml:"quarantine"`
	Providers  []Provider `yaml:"providers"`
}

// Archive keeps decided events for inspection and replay.
type Archive struct {
	Enabled   bool     `yaml:"enabled"`
	Retention Duration `yaml:"retention"` // default 720h
}

// Admin is the operator's listener: metrics, health and the admin
// API. Keep it off the public network.
type Admin struct {
	// Listen is the admin address (default 127.0.0.1:9090); "off" disables
	// the listener.
	Listen string `yaml:"listen"`
	// Auth enables the admin API under /admin/ (metrics and health need
	// none). Absent (nil), the admin API is off; present, every one of its
	// required fields must be set.
	Auth *AdminAuth `yaml:"auth"`
}

// Storage tunes the SQLite file.
type Storage struct {
	// Synchronous is "full" (default: a 2xx survives power loss) or
	// "normal" (faster; a power loss can lose the last commits).
	Synchronous string `yaml:"synchronous"`
	// SweepInterval is how often expired dedupe and ordering rows are deleted.
	SweepInterval Duration `yaml:"sweep_interval"`
	// OutboxMaxRows and OutboxMaxBytes bound the outbox, which grows while
	// NATS is down; past them new events get 503 with Retry-After.
	OutboxMaxRows  int64 `yaml:"outbox_max_rows"`
	OutboxMaxBytes int64 `yaml:"outbox_max_bytes"`
	// BusyTimeout is how long a write waits for a database lock held by
	// another process before the request gets 503.
	BusyTimeout Duration `yaml:"busy_timeout"`
}

// NATS says where events go. With URL empty, hookgate runs an
// embedded NATS server with JetStream on Host:Port storing under data_dir.
type NATS struct {
	URL string `yaml:"url"`
	// NATSAuth is how the gateway logs in to nats.url (not to the embedded
	// server, which it reaches with an internal credential).
	NATSAuth `yaml:",inline"`
	Host     string `yaml:"host"` // embedded server only
	Port     int    `yaml:"port"` // embedded server only; -1 picks a free port
	// Users, for the embedded server only, are the accounts of the services
	// that read the stream. With users, every connection must log in; see
	// forward.ConsumerPermissions for what a user may do.
	Users []NATSUser `yaml:"users"`
	// SyncInterval is how often the embedded server's file store syncs to
	// disk (0: the server's default of 2 minutes). "always" is not offered
	// here; see the README's delivery guarantees.
	SyncInterval Duration `yaml:"sync_interval"`
	// Mode is "jetstream" (default: the relay waits for the stream's ack)
	// or "core" (plain publish, at most once once it leaves the outbox).
	Mode            string   `yaml:"mode"`
	Stream          string   `yaml:"stream"`
	Subjects        []string `yaml:"subjects"`
	DuplicateWindow Duration `yaml:"duplicate_window"`
	// MaxAge and MaxBytes limit what the stream keeps (0: no limit), when
	// hookgate creates or updates it.
	MaxAge   Duration `yaml:"max_age"`
	MaxBytes int64    `yaml:"max_bytes"`
	// CreateStream creates the stream if it is missing. Default: true for
	// the embedded server, false with a URL.
	CreateStream *bool `yaml:"create_stream"`
}

// Embedded reports whether hookgate runs its own NATS server.
func (n *NATS) Embedded() bool { return n.URL == "" }

// NATSClientURL is the URL clients use: nats.url, or the embedded server's
// address (a wildcard host is reached on 127.0.0.1).
func (c *Config) NATSClientURL() string {
	if !c.NATS.Embedded() {
		return c.NATS.URL
	}
	host := c.NATS.Host
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	port := c.NATS.Port
	if port == 0 {
		port = DefaultNATSPort
	}
	return "nats://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// HTTP sets the public server's timeouts.
type HTTP struct {
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	ReadTimeout       Duration `yaml:"read_timeout"`
	WriteTimeout      Duration `yaml:"write_timeout"`
	IdleTimeout       Duration `yaml:"idle_timeout"`
	ShutdownTimeout   Duration `yaml:"shutdown_timeout"`
	// MaxHeaderBytes caps the request line and headers (default 64 KiB).
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// BodyTimeout is how long a request's body may take to arrive once its
	// headers are read (default 10s); past it the request gets 408 and
	// its connection is closed.
	BodyTimeout Duration `yaml:"body_timeout"`
	// MaxConns caps the open connections of the public listener (default
	// 4096); a connection past it is answered 503 and closed.
	MaxConns int `yaml:"max_conns"`
	// MaxInFlight caps the requests being verified and decided at once
	// (default 1024); past it requests get 503 with Retry-After. A request
	// takes its slot once its body has arrived.
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxInFlightPerProvider and MaxInFlightPerClient cap the slots one
	// provider and one client address hold (defaults: half and a quarter
	// of max_in_flight), so that neither can take every slot.
	MaxInFlightPerProvider int `yaml:"max_in_flight_per_provider"`
	MaxInFlightPerClient   int `yaml:"max_in_flight_per_client"`
	// TrustedProxies are the peers whose X-Forwarded-For is believed, for
	// providers' allow lists.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// TLS serves HTTPS from certificate files.
	TLS TLS `yaml:"tls"`
}

// TLS names a certificate and its key, PEM files.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

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
}

// RateLimit is a token bucket: RPS tokens a second, Burst at most
// (default: RPS rounded up). RPS 0 means unlimited.
type RateLimit struct {
	RPS   float64 `yaml:"rps"`
	Burst int     `yaml:"burst"`
}

// Secret is a shared secret or key. In YAML it is a string, or a mapping
// with value or file, and optionally not_after: the time after which it is
// no longer accepted (the old secret of a rotation).
//
// File names a file that holds the secret (a mounted Kubernetes or Docker
// secret): Validate reads it, with one trailing newline (\n or \r\n)
// trimmed, into Value, so that every Load (at start and on each
// reload) reads it again. Its content never appears in an error.
type Secret struct {
	Value    string    `yaml:"value"`
	File     string    `yaml:"file"`
	NotAfter time.Time `yaml:"not_after"`
}

// String keeps the secret out of anything that prints a config with fmt
// or log/slog.
func (s Secret) String() string {
	if s.File != "" {
		return "[secret from file " + s.File + "]"
	}
	return "[secret]"
}

// GoString is String, for %#v.
func (s Secret) GoString() string { return s.String() }

// UnmarshalYAML implements yaml.Unmarshaler. A mapping takes only the keys
// value or file (one of them) and not_after: a misspelt not_after would
// otherwise leave the old secret of a rotation accepted for ever.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = Secret{}
		return n.Decode(&s.Value)
	}
	if err := checkSecretNode(n); err != nil {
		return err
	}
	type plain Secret // without this method
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = Secret(p)
	return nil
}

// maxSecretFile bounds the size of a secret file: a secret or a PEM bundle
// is far smaller, and a path pointing at a large file by mistake must not
// be read whole.
const maxSecretFile = 64 << 10

// load reads the secret's file, if it has one, into Value. Its errors name
// the file, never its content.
func (s *Secret) load() error {
	if s.File == "" {
		return nil
	}
	var err error
	s.Value, err = readSecretFile(s.File)
	return err
}

// readSecretFile reads a secret from the regular file at path (a symbolic
// link to one, as Kubernetes mounts them, is followed), trimming one
// trailing newline. An empty secret is an error.
func readSecretFile(path string) (string, error) {
	where := fmt.Sprintf("file %q", path)
	fail := func(err error) (string, error) {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err // the path is already named
		}
		return "", fmt.Errorf("%s: %w", where, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fail(err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", where)
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return fail(err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes, too large for a secret", where, maxSecretFile)
	}
	v := string(b)
	if t, ok := strings.CutSuffix(v, "\n"); ok {
		v = strings.TrimSuffix(t, "\r")
	}
	if v == "" {
		return "", fmt.Errorf("%s is empty", where)
	}
	return v, nil
}

// checkSecretNode checks the keys of a secret written as a mapping. The
// strict decoder of Read does not reach inside a type with its own
// UnmarshalYAML, so Secret checks them itself. Its errors name keys and
// lines, never a value.
func checkSecretNode(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode, yaml.AliasNode:
		return nil
	case yaml.MappingNode:
	default:
		return fmt.Errorf("line %d: a secret is a string, or a mapping with value or file", n.Line)
	}
	var sources []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k, v := n.Content[i], n.Content[i+1]; k.Value {
		case "value", "file":
			sources = append(sources, k.Value)
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: %s must be a string", v.Line, k.Value)
			}
		case "not_after":
		default:
			return fmt.Errorf("line %d: unknown key %q (a secret mapping takes value or file, and not_after)", k.Line, k.Value)
		}
	}
	switch len(sources) {
	case 0:
		return fmt.Errorf("line %d: a secret mapping needs value or file", n.Line)
	case 1:
		return nil
	}
	return fmt.Errorf("line %d: a secret mapping takes value or file, not both", n.Line)
}

// checkSecretKeys checks, in the document as written, the shape of every
// providers[i].secrets (a list whose entries checkSecretNode accepts) and
// of admin.auth.keys (a list of strings), so that an error names the
// field and the line of the file (the tree Read re-encodes has lost
// blank lines, and with them the line numbers) and never quotes a value,
// as the decoder's type errors would.
func checkSecretKeys(doc *yaml.Node) error {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	var errs []error
	bad := func(field string, err error) {
		errs = append(errs, fmt.Errorf("%w: %s: %w", ErrInvalid, field, err))
	}
	// list checks that n is a list (or null), and each entry with check.
	list := func(field string, n *yaml.Node, what string, check func(*yaml.Node) error) {
		switch {
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null", n.Kind == yaml.AliasNode:
			return
		case n.Kind != yaml.SequenceNode:
			bad(field, fmt.Errorf("line %d: must be a list of %s", n.Line, what))
			return
		}
		for j, e := range n.Content {
			if err := check(e); err != nil {
				bad(fmt.Sprintf("%s[%d]", field, j), err)
			}
		}
	}
	for _, p := range mappingValues(root, "providers") {
		if p.Kind != yaml.SequenceNode {
			continue
		}
		for i, prov := range p.Content {
			where := fmt.Sprintf("providers[%d]", i)
			for _, name := range mappingValues(prov, "name") {
				if name.Kind == yaml.ScalarNode && name.Value != "" {
					where += " (" + name.Value + ")"
				}
			}
			for _, secrets := range mappingValues(prov, "secrets") {
				list(where+".secrets", secrets, "secrets (strings, or mappings with value or file)", checkSecretNode)
			}
		}
	}
	for _, admin := range mappingValues(root, "admin") {
		for _, auth := range mappingValues(admin, "auth") {
			for _, keys := range mappingValues(auth, "keys") {
				list("admin.auth.keys", keys, "strings", func(n *yaml.Node) error {
					if n.Kind != yaml.ScalarNode && n.Kind != yaml.AliasNode {
						return fmt.Errorf("line %d: a key is a string", n.Line)
					}
					return nil
				})
			}
		}
	}
	return errors.Join(errs...)
}

// mappingValues returns the values of key in the mapping n (none if n is
// not a mapping).
func mappingValues(n *yaml.Node, key string) []*yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	var vs []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			vs = append(vs, n.Content[i+1])
		}
	}
	return vs
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
}

// StringList is one string or a list of them in YAML.
type StringList []string

// UnmarshalYAML implements yaml.Unmarshaler.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	var s Sources
	if err := s.UnmarshalYAML(n); err != nil {
		return err
	}
	*l = StringList(s)
	return nil
}

// apply copies the options onto o, reading jwks_file.
func (so *SchemeOptions) apply(o *verify.Options) error {
	o.Header, o.Prefix, o.Algorithm, o.Encoding = so.Header, so.Prefix, so.Algorithm, so.Encoding
	o.Template, o.Format, o.TimestampHeader = so.Template, so.Format, so.TimestampHeader
	o.JWKSURL, o.JWKS, o.JWKSRefresh = so.JWKSURL, so.JWKS, time.Duration(so.JWKSRefresh)
	o.Issuer, o.Audience, o.Algorithms, o.BodyHashClaim = so.Issuer, so.Audience, so.Algorithms, so.BodyHashClaim
	o.Email, o.BundleID, o.Environment, o.AppAppleID = so.Email, so.BundleID, so.Environment, so.AppAppleID
	o.VerifyToken, o.PublicURL = so.VerifyToken, so.PublicURL
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
	Key     string `yaml:"key"`
	Version string `yaml:"version"`
	Format  string `yaml:"format"` // auto (default), rfc3339, unix, unix_ms, sequence
	Ties    string `yaml:"ties"`   // forward (default) or drop
}

// Enabled reports whether ordering is configured.
func (o *Ordering) Enabled() bool { return o.Key != "" }

// Dedupe sets how long an event ID is remembered.
type Dedupe struct {
	TTL Duration `yaml:"ttl"`
}

// Duration is a time.Duration written as "90s" or "168h" in YAML.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (use a unit: 90s, 5m, 168h)", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// Sources is one source or a list of them in YAML.
type Sources []string

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Sources) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var one string
		if err := n.Decode(&one); err != nil {
			return err
		}
		*s = Sources{one}
		return nil
	}
	var many []string
	if err := n.Decode(&many); err != nil {
		return err
	}
	*s = many
	return nil
}

// Load reads, expands and validates the file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	defer f.Close()
	c, err := Read(f, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Read decodes YAML from r strictly (unknown keys are errors) after
// expanding ${VAR} references in values with lookup. Comments are not
// expanded, and a value may hold any bytes (a PEM key, say). A reference to
// an unset variable is an error naming it and its line. The result is not
// validated.
func Read(r io.Reader, lookup func(string) (string, bool)) (*Config, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the file is empty", ErrInvalid)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	refs := envRefNodes(&doc)
	if err := errors.Join(checkSecretKeys(&doc), expandEnv(&doc, lookup)); err != nil {
		return nil, err
	}
	// Re-encode the expanded tree so that a strict decoder can reject
	// unknown keys (yaml.Node.Decode has no strict mode).
	expanded, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, hideValues(err.Error(), sensitiveValues(&doc, refs)))
	}
	return &c, nil
}

// envRefNodes returns the scalar values of the tree that hold a ${VAR}
// reference, before expandEnv replaces it.
func envRefNodes(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		out = append(out, n)
	}
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue // keys are not expanded
		}
		out = append(out, envRefNodes(c)...)
	}
	return out
}

// sensitiveValues returns the values a decoding error must not show: those
// of expanded ${VAR} references (refs, any of which may be a secret), and
// every scalar under providers[].secrets, providers[].options.verify_token
// and admin.auth.keys.
func sensitiveValues(doc *yaml.Node, refs []*yaml.Node) []string {
	var out []string
	var all func(n *yaml.Node)
	all = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			out = append(out, n.Value)
		}
		for _, c := range n.Content {
			all(c)
		}
	}
	for _, r := range refs {
		all(r)
	}
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	for _, ps := range mappingValues(root, "providers") {
		for _, p := range ps.Content {
			for _, n := range mappingValues(p, "secrets") {
				all(n)
			}
			for _, o := range mappingValues(p, "options") {
				for _, n := range mappingValues(o, "verify_token") {
					all(n)
				}
			}
		}
	}
	for _, a := range mappingValues(root, "admin") {
		for _, auth := range mappingValues(a, "auth") {
			for _, n := range mappingValues(auth, "keys") {
				all(n)
			}
		}
	}
	return out
}

// hideValues replaces in msg, a decoding error, each of values as the
// decoder and this package's unmarshalers quote it: whole in backquotes,
// cut to its first 7 bytes in backquotes when longer than 10, and in Go
// quotes.
func hideValues(msg string, values []string) string {
	const hidden = "(value not shown)"
	for _, v := range values {
		if v == "" {
			continue
		}
		quoted := []string{"`" + v + "`", strconv.Quote(v)}
		if len(v) > 10 {
			quoted = append(quoted, "`"+v[:7]+"...`")
		}
		for _, q := range quoted {
			msg = strings.ReplaceAll(msg, q, hidden)
		}
	}
	return msg
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} in every scalar value of the tree.
func expandEnv(n *yaml.Node, lookup func(string) (string, bool)) error {
	var missing []error
	var walk func(n *yaml.Node, isKey bool)
	walk = func(n *yaml.Node, isKey bool) {
		if n.Kind == yaml.ScalarNode && !isKey && strings.Contains(n.Value, "${") {
			n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
				name := ref[2 : len(ref)-1]
				v, ok := lookup(name)
				if !ok {
					missing = append(missing, fmt.Errorf("%w: line %d: environment variable %s is not set", ErrInvalid, n.Line, name))
				}
				return v
			})
			if n.Style == 0 && isNumber(n.Value) {
				n.Tag = "" // let an expanded ${PORT} decode as a number
			} else {
				n.Tag = "!!str"
			}
		}
		for i, c := range n.Content {
			walk(c, n.Kind == yaml.MappingNode && i%2 == 0)
		}
	}
	walk(n, false)
	return errors.Join(missing...)
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

var providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Validate fills defaults and checks every field. It returns all problems at
// once, each naming its field and wrapping ErrInvalid; nil means the config
// can be started.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...)))
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	var listeners []listener
	if host, port, err := splitListen(c.Listen); err != nil {
		bad("listen", "%q is not host:port with a port from 0 to 65535 (%v)", c.Listen, err)
	} else {
		listeners = append(listeners, listener{"listen", c.Listen, host, port})
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	switch strings.ToLower(c.Storage.Synchronous) {
	case "":
		c.Storage.Synchronous = "full"
	case "full", "normal":
		c.Storage.Synchronous = strings.ToLower(c.Storage.Synchronous)
	default:
		bad("storage.synchronous", "%q is not full or normal", c.Storage.Synchronous)
	}
	if c.Storage.SweepInterval == 0 {
		c.Storage.SweepInterval = Duration(time.Minute)
	} else if c.Storage.SweepInterval < 0 {
		bad("storage.sweep_interval", "must be positive")
	}

	if c.Storage.BusyTimeout == 0 {
		c.Storage.BusyTimeout = Duration(5 * time.Second)
	} else if c.Storage.BusyTimeout < 0 {
		bad("storage.busy_timeout", "must be positive")
	}
	if c.Storage.OutboxMaxRows == 0 {
		c.Storage.OutboxMaxRows = DefaultOutboxMaxRows
	} else if c.Storage.OutboxMaxRows < 0 {
		bad("storage.outbox_max_rows", "must be positive")
	}
	if c.Storage.OutboxMaxBytes == 0 {
		c.Storage.OutboxMaxBytes = DefaultOutboxMaxBytes
	} else if c.Storage.OutboxMaxBytes < 0 {
		bad("storage.outbox_max_bytes", "must be positive")
	}

	if c.Archive.Retention == 0 {
		c.Archive.Retention = Duration(DefaultArchiveRetention)
	} else if c.Archive.Retention < 0 {
		bad("archive.retention", "must be positive")
	}
	if c.Quarantine.MaxCount == 0 {
		c.Quarantine.MaxCount = 1000
	} else if c.Quarantine.MaxCount < 0 {
		bad("quarantine.max_count", "must be positive")
	}
	if c.Quarantine.MaxBytes == 0 {
		c.Quarantine.MaxBytes = 16 << 20
	} else if c.Quarantine.MaxBytes < 0 {
		bad("quarantine.max_bytes", "must be positive")
	}
	if c.Admin.Listen == "" {
		c.Admin.Listen = DefaultAdminListen
	}
	if c.Admin.Auth != nil {
		c.Admin.Auth.validate(bad)
	}
	if c.Admin.Listen != "off" {
		if host, port, err := splitListen(c.Admin.Listen); err != nil {
			bad("admin.listen", "%q is not host:port with a port from 0 to 65535, or off (%v)", c.Admin.Listen, err)
		} else {
			listeners = append(listeners, listener{"admin.listen", c.Admin.Listen, host, port})
		}
	}

	n := &c.NATS
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
			listeners = append(listeners, listener{"nats.port", net.JoinHostPort(n.Host, strconv.Itoa(n.Port)), n.Host, n.Port})
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
	for i, l := range listeners {
		for _, o := range listeners[:i] {
			if l.port != 0 && l.port == o.port && hostsOverlap(l.host, o.host) {
				bad(l.field, "%q takes the same port as %s %q: both cannot listen", l.addr, o.field, o.addr)
			}
		}
	}
	if len(n.Subjects) == 0 {
		n.Subjects = []string{DefaultStreamSubject}
	}
	// streamSubjects are nats.subjects, nil if one is invalid.
	var streamSubjects []string
	subjectsOK := true
	for i, subj := range n.Subjects {
		field := "nats.subjects[" + strconv.Itoa(i) + "]"
		if problem := forward.StreamSubjectProblem(subj); problem != "" {
			bad(field, "%q %s", subj, problem)
			subjectsOK = false
			continue
		}
		for _, prev := range streamSubjects {
			if forward.SubjectsOverlap(subj, prev) {
				bad(field, "%q overlaps %q (NATS refuses a stream whose subjects overlap)", subj, prev)
			}
		}
		streamSubjects = append(streamSubjects, subj)
	}
	if !subjectsOK {
		streamSubjects = nil
	}
	n.validateUsers(subjectsOK, bad)
	if n.DuplicateWindow == 0 {
		n.DuplicateWindow = Duration(DefaultDuplicateWindow)
	} else if n.DuplicateWindow < 0 {
		bad("nats.duplicate_window", "must be positive")
	}
	if n.MaxAge < 0 || n.MaxBytes < 0 {
		bad("nats", "max_age and max_bytes must be positive (0: no limit)")
	} else if n.MaxAge > 0 && n.MaxAge < n.DuplicateWindow {
		bad("nats.max_age", "%s is shorter than the duplicate window %s", time.Duration(n.MaxAge), time.Duration(n.DuplicateWindow))
	}
	if n.CreateStream == nil {
		v := n.Embedded()
		n.CreateStream = &v
	}
	// Provider subjects are checked against the stream's subjects only
	// when hookgate creates the stream: otherwise they are not known here.
	if !*n.CreateStream || n.Mode != "jetstream" {
		streamSubjects = nil
	}

	h := &c.HTTP
	for _, d := range []struct {
		field string
		v     *Duration
		def   time.Duration
	}{
		{"http.read_header_timeout", &h.ReadHeaderTimeout, 5 * time.Second},
		{"http.read_timeout", &h.ReadTimeout, 30 * time.Second},
		{"http.body_timeout", &h.BodyTimeout, DefaultBodyTimeout},
		{"http.write_timeout", &h.WriteTimeout, 30 * time.Second},
		{"http.idle_timeout", &h.IdleTimeout, 120 * time.Second},
		{"http.shutdown_timeout", &h.ShutdownTimeout, 10 * time.Second},
	} {
		if *d.v == 0 {
			*d.v = Duration(d.def)
		} else if *d.v < 0 {
			bad(d.field, "must be positive")
		}
	}

	if h.MaxHeaderBytes == 0 {
		h.MaxHeaderBytes = 64 << 10
	} else if h.MaxHeaderBytes < 1024 {
		bad("http.max_header_bytes", "%d is too small (at least 1024)", h.MaxHeaderBytes)
	}
	if h.MaxConns == 0 {
		h.MaxConns = DefaultMaxConns
	} else if h.MaxConns < 0 {
		bad("http.max_conns", "must be positive")
	}
	if h.MaxInFlight == 0 {
		h.MaxInFlight = DefaultMaxInFlight
	} else if h.MaxInFlight < 0 {
		bad("http.max_in_flight", "must be positive")
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
			bad(f.field, "must be positive")
		case *f.v > h.MaxInFlight && h.MaxInFlight > 0:
			bad(f.field, "%d is more than http.max_in_flight (%d)", *f.v, h.MaxInFlight)
		}
	}
	if _, err := ParsePrefixes(h.TrustedProxies); err != nil {
		bad("http.trusted_proxies", "%v", err)
	}
	if (h.TLS.CertFile == "") != (h.TLS.KeyFile == "") {
		bad("http.tls", "cert_file and key_file go together")
	} else if h.TLS.CertFile != "" {
		if _, err := tls.LoadX509KeyPair(h.TLS.CertFile, h.TLS.KeyFile); err != nil {
			bad("http.tls", "%v", err)
		}
	}

	if len(c.Providers) == 0 {
		bad("providers", "at least one provider is required")
	}
	names := map[string]int{}
	paths := map[string]int{}
	for i := range c.Providers {
		p := &c.Providers[i]
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
		if !providerName.MatchString(p.Name) {
			bad(f("name"), "%q must be lower-case letters, digits, '-' or '_'", p.Name)
		} else if j, dup := names[p.Name]; dup {
			bad(f("name"), "%q is already used by providers[%d]", p.Name, j)
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
			bad(f("path"), "%q must start with '/' and hold no spaces, '?', '#', '*' or ':'", p.Path)
		case dup:
			bad(f("path"), "%q is already used by providers[%d]", p.Path, j)
		default:
			paths[p.Path] = i
		}
		secretsRead := true
		for j := range p.Secrets {
			if err := p.Secrets[j].load(); err != nil {
				bad(f("secrets["+strconv.Itoa(j)+"]"), "%v", err)
				secretsRead = false
			}
		}
		if p.Type == "" {
			bad(f("type"), "required (see `hookgate providers`)")
		} else if _, known := verify.Lookup(p.Type); !known {
			bad(f("type"), "unknown type %q (see `hookgate providers`)", p.Type)
		} else if !secretsRead {
			// The files were reported; the scheme cannot be checked without them.
		} else if _, err := p.Verifier(); err != nil {
			if se, ok := errors.AsType[*verify.SecretError](err); ok && se.Index < len(p.Secrets) {
				// The rule the secret broke, never the secret.
				bad(f(p.secretField(se.Index)), "%s: %s", se.Type, se.Reason)
			} else { // scheme options (hmac, tolerance)
				bad(f(""), "%v", err)
			}
		}
		if p.Tolerance < 0 {
			bad(f("tolerance"), "must be positive")
		}
		if p.MaxBody == 0 {
			p.MaxBody = DefaultMaxBody
		} else if p.MaxBody < 0 {
			bad(f("max_body"), "must be a positive number of bytes")
		}
		defaultTTL := ""
		if p.Dedupe.TTL == 0 {
			p.Dedupe.TTL = Duration(DefaultTTL)
			defaultTTL = " (the default)"
		}
		if p.Dedupe.TTL < 0 {
			bad(f("dedupe.ttl"), "must be positive")
		} else if p.Dedupe.TTL < n.DuplicateWindow {
			// A retry after the TTL would be accepted again and then dropped
			// by the stream as a duplicate of the first message.
			bad(f("dedupe.ttl"), "%s%s is shorter than nats.duplicate_window %s", time.Duration(p.Dedupe.TTL), defaultTTL, time.Duration(n.DuplicateWindow))
		}
		if p.Subject == "" {
			p.Subject = DefaultSubject
		}
		if err := forward.ValidateTemplate(p.Subject); err != nil {
			bad(f("subject"), "%v", err)
		} else if streamSubjects != nil && providerName.MatchString(p.Name) && !forward.TemplateCovered(p.Subject, p.Name, streamSubjects) {
			hint := ""
			if strings.Contains(p.Subject, "{type}") {
				hint = "; {type} renders to one or more tokens, so only a '>' at or before its place covers it"
			}
			bad(f("subject"), "%q does not fall inside nats.subjects %q: the stream hookgate creates would not store these events, and the relay would retry them for ever%s", p.Subject, n.Subjects, hint)
		}
		for _, src := range append([]string{p.Identify.EventID}, p.Identify.EventType...) {
			if err := checkSource(src); err != nil {
				bad(f("identify"), "%v", err)
			}
		}
		o := &p.Ordering
		if o.Enabled() || o.Version != "" || o.Format != "" || o.Ties != "" {
			if o.Key == "" || o.Version == "" {
				bad(f("ordering"), "key and version are both required")
			}
			for _, src := range []string{o.Key, o.Version} {
				if err := checkSource(src); err != nil {
					bad(f("ordering"), "%v", err)
				}
			}
			if _, err := ordering.ParseFormat(o.Format); err != nil {
				bad(f("ordering.format"), "%q is not auto, rfc3339, unix, unix_ms or sequence", o.Format)
			}
			switch o.Ties {
			case "", "forward", "drop":
			default:
				bad(f("ordering.ties"), "%q is not forward or drop", o.Ties)
			}
		}
		if _, err := ParsePrefixes(p.Allow); err != nil {
			bad(f("allow"), "%v", err)
		}
		if p.RateLimit.RPS < 0 || p.RateLimit.Burst < 0 || (p.RateLimit.Burst > 0 && p.RateLimit.RPS == 0) {
			bad(f("rate_limit"), "rps must be positive, and burst needs rps")
		}
		for j, hname := range p.PassHeaders {
			lower := strings.ToLower(hname)
			switch {
			case hname == "" || strings.ContainsAny(hname, " :\t\r\n"):
				bad(f("pass_headers["+strconv.Itoa(j)+"]"), "%q is not a header name", hname)
			case strings.HasPrefix(lower, "nats-"), strings.HasPrefix(lower, "hookgate-"):
				// Nats-* steer the server (Nats-Msg-Id, Nats-Expected-*);
				// Hookgate-* are the gateway's own and must not be forged.
				bad(f("pass_headers["+strconv.Itoa(j)+"]"), "%q is reserved: Nats-* and Hookgate-* headers are set by the gateway", hname)
			}
		}
	}
	return errors.Join(errs...)
}

// secretField names secrets[j] in errors, with its file if it has one.
func (p *Provider) secretField(j int) string {
	field := "secrets[" + strconv.Itoa(j) + "]"
	if file := p.Secrets[j].File; file != "" {
		field += fmt.Sprintf(" (file %q)", file)
	}
	return field
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

// listener is an address something listens on, for the check that no two
// of them take the same port.
type listener struct {
	field, addr, host string
	port              int
}

// splitListen splits a listen address into its host and port, which must be
// a number from 0 to 65535 or a service name.
func splitListen(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := net.LookupPort("tcp", p)
	if err != nil {
		return "", 0, err
	}
	return host, port, nil
}

// hostsOverlap reports whether listeners on hosts a and b with the same port
// collide: the same host, or one of them on every interface. Two different
// IP addresses, or a host name and an address, are taken not to collide.
func hostsOverlap(a, b string) bool {
	loopback := func(h string) bool {
		ip := net.ParseIP(h)
		return strings.EqualFold(h, "localhost") || ip != nil && ip.IsLoopback()
	}
	everywhere := func(h string) bool {
		ip := net.ParseIP(h)
		return h == "" || ip != nil && ip.IsUnspecified()
	}
	switch {
	case everywhere(a) || everywhere(b), strings.EqualFold(a, b):
		return true
	case loopback(a) && loopback(b):
		// localhost and 127.0.0.1 are the same; 127.0.0.1 and 127.0.0.2,
		// or 127.0.0.1 and ::1, are not.
		return strings.EqualFold(a, "localhost") || strings.EqualFold(b, "localhost")
	}
	return false
}

func checkSource(src string) error {
	if name, ok := strings.CutPrefix(src, "header:"); ok && strings.TrimSpace(name) == "" {
		return fmt.Errorf("%q names no header", src)
	}
	return nil
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
	return credentialHeaders(preset, p.Options.Header)
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

// ParsePrefixes parses addresses and CIDR prefixes (an address is a prefix
// of its full length), as allow lists and trusted proxies are written.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR prefix", s)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR prefix", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
