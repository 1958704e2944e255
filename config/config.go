// Package config reads hookgate's YAML configuration: strictly (an unknown
// key is an error), with ${VAR} references expanded from the environment
// and {file: PATH} secrets read from files (read.go, secret.go); fills the
// defaults; and validates every field, naming it in each error (validate.go).
// Rules that belong to another package are that package's: scheme options
// and secrets are checked by building the verifier (package verify),
// subjects by package forward, version formats by package ordering.
//
// Read and Load return a Config; it is ready to use once Validate returned
// nil. Load does both. LoadClient reads only what the commands that read
// the stream beside the gateway use (nats, deliveries).
package config

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/forward"
)

// ErrInvalid is wrapped by every configuration error.
var ErrInvalid = errors.New("config")

// Defaults applied by Config.Validate to fields left empty. Those of the
// stream and the subjects are package forward's, which owns them.
const (
	DefaultListen           = ":8080"
	DefaultAdminListen      = "127.0.0.1:9090"
	DefaultDataDir          = "./data"
	DefaultNATSHost         = forward.DefaultHost
	DefaultNATSPort         = 4222
	DefaultStream           = forward.DefaultStreamName
	DefaultStreamSubject    = forward.DefaultStreamSubjects
	DefaultDuplicateWindow  = forward.DefaultDuplicates
	DefaultSubject          = forward.DefaultTemplate
	DefaultTTL              = 168 * time.Hour
	DefaultMaxBody          = 1 << 20
	DefaultOutboxMaxRows    = 1_000_000
	DefaultArchiveRetention = 720 * time.Hour
	DefaultOutboxMaxBytes   = 1 << 30
	DefaultBodyTimeout      = 10 * time.Second
	DefaultMaxConns         = 4096
	DefaultMaxStreams       = 16
	DefaultMaxInFlight      = 1024
	BackendSQLite           = "sqlite"
	BackendJetStream        = "jetstream"
)

// Envelopes: what a provider's NATS message body holds (see the README's
// "Envelopes"). The default is EnvelopeRaw.
const (
	// EnvelopeRaw forwards the provider's body byte for byte.
	EnvelopeRaw = "raw"
	// EnvelopeCloudEvents adds CloudEvents 1.0 attributes as ce-* headers
	// (the NATS binding's binary content mode); the body is unchanged.
	EnvelopeCloudEvents = "cloudevents"
	// EnvelopeJSON wraps the body in a JSON object with the event's
	// identity.
	EnvelopeJSON = "json"
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
	// Envelope is the default of the providers' envelope (default raw).
	Envelope  string     `yaml:"envelope"`
	Providers []Provider `yaml:"providers"`
	Routes    []Route    `yaml:"routes"`
	// Deliveries POST the stream's events to HTTP services.
	Deliveries []Delivery `yaml:"deliveries"`
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

// Storage chooses where decisions are kept and tunes the SQLite file.
type Storage struct {
	// Backend is "sqlite" (default: claims, versions and the outbox in
	// data_dir's SQLite file, one gateway per data_dir) or "jetstream"
	// (claims, versions and events in the NATS stream, shared by every
	// gateway on it; see package jsstore). The SQLite file is opened with
	// either: it holds the quarantine, and what an earlier sqlite run left
	// in its outbox, which the relay still sends.
	Backend string `yaml:"backend"`
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
	// Replicas is the stream's replica count when hookgate creates it
	// (default 1; 3 on a cluster, at most 5).
	Replicas int `yaml:"replicas"`
	// CreateStream creates the stream if it is missing. Default: true for
	// the embedded server, false with a URL.
	CreateStream *bool `yaml:"create_stream"`
	// Sign has the gateway sign every message it publishes.
	Sign NATSSign `yaml:"sign"`
}

// NATSSign configures the signatures of published messages (package
// bussig): an Ed25519 private key that only the gateway holds; consumers
// verify with its public key.
type NATSSign struct {
	// KeyFile is a PEM file with the Ed25519 private key (PKCS #8, as
	// `hookgate keygen` and `openssl genpkey -algorithm ed25519` write it).
	// Validation does not read it: the commands that read the stream
	// (deliver, tail) run where the key is not; serve and check-config
	// read it with Load.
	KeyFile string `yaml:"key_file"`
}

// Load reads the signing key, or returns nil when messages are not signed.
// An unreadable or wrong file is an error wrapping ErrInvalid that names
// nats.sign.key_file.
func (s *NATSSign) Load() (ed25519.PrivateKey, error) {
	if s.KeyFile == "" {
		return nil, nil
	}
	key, err := bussig.LoadPrivateKey(s.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: nats.sign.key_file: %w", ErrInvalid, err)
	}
	return key, nil
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
	// 4096). At the cap a new connection closes the one idle longest;
	// with none idle it is answered 503 and closed.
	MaxConns int `yaml:"max_conns"`
	// MaxConnsPerClient caps the open connections from one client address
	// (an IPv6 client's /64), except from a trusted proxy (default a
	// quarter of max_conns); past it a connection is answered 503 and
	// closed.
	MaxConnsPerClient int `yaml:"max_conns_per_client"`
	// MaxConcurrentStreams caps the requests one HTTP/2 connection (over
	// TLS) carries at once (default 16); each beyond the first takes a
	// slot of max_conns and of its address's share.
	MaxConcurrentStreams int `yaml:"max_concurrent_streams"`
	// MaxInFlight caps the requests being verified and decided at once
	// (default 1024); past it requests get 503 with Retry-After. A request
	// takes its slot once its body has arrived.
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxInFlightPerProvider and MaxInFlightPerClient cap the slots one
	// provider and one client address (an IPv6 client's /64) hold
	// (defaults: half and a quarter of max_in_flight), so that neither can
	// take every slot.
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
