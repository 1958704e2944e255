package forward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// Embedded server and stream defaults.
const (
	DefaultHost         = "127.0.0.1"
	DefaultMaxPayload   = 8 << 20
	DefaultReadyTimeout = 10 * time.Second

	DefaultStreamName     = "WEBHOOKS"
	DefaultStreamSubjects = "webhooks.>"
	DefaultDuplicates     = 2 * time.Minute

	// DeadLetterStream stores the dead letters of consumers (package
	// consume) on DeadLetterSubjects; [EnsureDeadLetterStream] creates it.
	DeadLetterStream   = "HOOKGATE_DEAD"
	DeadLetterSubjects = "hookgate.dead.>"
)

// ServerConfig configures the embedded NATS server.
type ServerConfig struct {
	// Host is the client listen address (default 127.0.0.1).
	Host string
	// Port is the client port: 0 means NATS's 4222, -1 a random free port
	// (read it from Server.Addr()).
	Port int
	// StoreDir is where JetStream keeps its files. Required.
	StoreDir string
	// SyncInterval is how often the file store syncs to disk; 0 keeps the
	// server default (2 minutes). An acknowledged message that was not
	// synced yet survives a process crash but not a power loss.
	SyncInterval time.Duration
	// SyncAlways syncs after every message (much slower).
	SyncAlways bool
	// MaxPayload is the largest message, headers included (default 8 MiB,
	// so that a 1 MiB webhook body with its headers fits).
	MaxPayload int32
	// ReadyTimeout bounds the wait for the server (default 10s).
	ReadyTimeout time.Duration
	// Logger receives the server's log at Info level and above (warnings,
	// errors); nil means no logging.
	Logger *slog.Logger
	// MaxAtomicBatches is how many atomic batches a stream may have open
	// at once (0: nats-server's default, 50); the server-wide limit is
	// raised to it when it is higher than the server's default of 1,000.
	MaxAtomicBatches int

	// Users turn on authentication: a connection must then log in as one
	// of them, with [ConsumerPermissions] on Stream, or as [InternalUser]
	// with InternalPassword, which may do everything. Without Users the
	// server takes any connection, with every permission.
	Users []User
	// InternalPassword is [InternalUser]'s password, required with Users.
	// Generate it at each start (crypto/rand) and keep it in memory only.
	InternalPassword string
	// Stream and StreamSubjects are the stream the Users read, for their
	// permissions (default WEBHOOKS and webhooks.>).
	Stream         string
	StreamSubjects []string
}

// StartServer starts an embedded NATS server with JetStream storing under
// cfg.StoreDir, and returns once it accepts connections. Signals are not
// handled and nothing is logged unless cfg.Logger is set. The caller must
// stop it with Shutdown (and WaitForShutdown to wait for it). The error
// wraps [ErrNoStoreDir], [ErrUsers] (a user without a name or password,
// or no InternalPassword), or [ErrServerNotReady] with the server's fatal
// message when one was logged (e.g. the port is in use).
func StartServer(cfg ServerConfig) (*server.Server, error) {
	if cfg.StoreDir == "" {
		return nil, ErrNoStoreDir
	}
	if cfg.Host == "" {
		cfg.Host = DefaultHost
	}
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = DefaultMaxPayload
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = DefaultReadyTimeout
	}
	if cfg.Stream == "" {
		cfg.Stream = DefaultStreamName
	}
	if len(cfg.StreamSubjects) == 0 {
		cfg.StreamSubjects = []string{DefaultStreamSubjects}
	}
	var users []*server.User
	if len(cfg.Users) > 0 {
		var err error
		if users, err = serverUsers(&cfg); err != nil {
			return nil, err
		}
	}
	opts := &server.Options{
		Host:         cfg.Host,
		Port:         cfg.Port,
		JetStream:    true,
		StoreDir:     cfg.StoreDir,
		SyncInterval: cfg.SyncInterval,
		SyncAlways:   cfg.SyncAlways,
		MaxPayload:   cfg.MaxPayload,
		NoLog:        cfg.Logger == nil,
		NoSigs:       true,
		Users:        users,
	}
	LimitAtomicBatches(opts, cfg.MaxAtomicBatches)
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("forward: nats server: %w", err)
	}
	lg := &serverLogger{log: cfg.Logger}
	s.SetLoggerV2(lg, false, false, false)
	s.Start() // returns once the listener is set up, or after a fatal error
	if msg := lg.fatal(); msg != "" {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("%s: %w", msg, ErrServerNotReady)
	}
	if !s.ReadyForConnections(cfg.ReadyTimeout) {
		s.Shutdown()
		s.WaitForShutdown()
		if msg := lg.fatal(); msg != "" {
			return nil, fmt.Errorf("%s: %w", msg, ErrServerNotReady)
		}
		return nil, fmt.Errorf("not accepting connections after %v: %w", cfg.ReadyTimeout, ErrServerNotReady)
	}
	if !s.JetStreamEnabled() {
		msg := lg.fatal()
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("jetstream not enabled %s: %w", msg, ErrServerNotReady)
	}
	return s, nil
}

// serverLogger adapts the server's logger to slog and remembers the last
// fatal message, which the server logs instead of returning an error.
type serverLogger struct {
	log *slog.Logger // may be nil

	mu        sync.Mutex
	lastFatal string
}

var _ server.Logger = (*serverLogger)(nil)

func (l *serverLogger) fatal() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastFatal
}

func (l *serverLogger) logf(level slog.Level, format string, v []any) {
	if l.log != nil {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, v...), "component", "nats-server")
	}
}

func (l *serverLogger) Noticef(format string, v ...any) { l.logf(slog.LevelInfo, format, v) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.logf(slog.LevelWarn, format, v) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.logf(slog.LevelError, format, v) }
func (l *serverLogger) Debugf(string, ...any)           {}
func (l *serverLogger) Tracef(string, ...any)           {}

func (l *serverLogger) Fatalf(format string, v ...any) {
	l.mu.Lock()
	l.lastFatal = fmt.Sprintf(format, v...)
	l.mu.Unlock()
	l.logf(slog.LevelError, format, v)
}

// StreamConfig describes the stream that receives the webhooks.
type StreamConfig struct {
	// Name defaults to WEBHOOKS.
	Name string
	// Subjects defaults to ["webhooks.>"].
	Subjects []string
	// Duplicates is the de-duplication window for Nats-Msg-Id (default 2
	// minutes). A message republished later than this after it was stored
	// (a crash between the ack and the delete, then a longer downtime) is
	// stored twice.
	Duplicates time.Duration
	// MaxAge and MaxBytes limit what the stream keeps (0: no limit); the
	// oldest messages are discarded first. MaxAge must not be shorter than
	// Duplicates.
	MaxAge   time.Duration
	MaxBytes int64
	// Replicas is the number of the stream's replicas on a cluster when it
	// is created (default 1).
	Replicas int
	// Decisions makes the stream hold a decision backend's state too (see
	// package jsstore): DecisionSubjects are added to its subjects, and
	// atomic batch publish, per-message TTLs, rollups and direct gets are
	// allowed. With a byte or message limit (MaxBytes, or an existing
	// stream's max_msgs), a full stream then refuses new messages rather
	// than dropping its oldest, which could be live claims.
	Decisions        bool
	DecisionSubjects []string
	// Check, when set, is given the configuration the stream would have
	// before it is created or updated: an error leaves the stream as it
	// was (a start that fails does not leave it changed).
	Check func(jetstream.StreamConfig) error
}

// EnsureStream creates the stream if it does not exist: file storage,
// limits retention, c's subjects and duplicate window. If it exists, its
// configuration is left as the operator set it, except for the duplicate
// window, which is updated to c.Duplicates when it differs (it decides
// whether a republish is dropped), the limits MaxAge and MaxBytes when
// they are set and differ, and with Decisions the features and subjects
// the decisions need. Other subjects of an existing stream are not
// changed: a subject it does not cover makes every publish fail, which the
// relay logs.
func EnsureStream(ctx context.Context, js jetstream.JetStream, c StreamConfig) error {
	if c.Name == "" {
		c.Name = DefaultStreamName
	}
	if len(c.Subjects) == 0 {
		c.Subjects = []string{DefaultStreamSubjects}
	}
	if c.Duplicates <= 0 {
		c.Duplicates = DefaultDuplicates
	}
	s, err := js.Stream(ctx, c.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		cfg := streamConfig{
			Name:       c.Name,
			Subjects:   c.Subjects,
			Storage:    jetstream.FileStorage,
			Retention:  jetstream.LimitsPolicy,
			Duplicates: c.Duplicates,
			MaxAge:     c.MaxAge,
			MaxBytes:   maxBytes(c.MaxBytes),
			Replicas:   max(1, c.Replicas),
		}.withDecisions(c)
		if err := c.check(cfg); err != nil {
			return err
		}
		_, err = js.CreateStream(ctx, cfg)
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("forward: create stream %s: %w", c.Name, err)
		}
		// Created concurrently: treat it as existing.
		s, err = js.Stream(ctx, c.Name)
	}
	if err != nil {
		return fmt.Errorf("forward: stream %s: %w", c.Name, err)
	}
	cfg := s.CachedInfo().Config
	changed := cfg.Duplicates != c.Duplicates
	cfg.Duplicates = c.Duplicates
	if c.MaxAge > 0 && cfg.MaxAge != c.MaxAge {
		cfg.MaxAge, changed = c.MaxAge, true
	}
	if c.MaxBytes > 0 && cfg.MaxBytes != c.MaxBytes {
		cfg.MaxBytes, changed = c.MaxBytes, true
	}
	if c.Decisions {
		with := streamConfig(cfg).withDecisions(c)
		if !slices.Equal(with.Subjects, cfg.Subjects) || with.AllowAtomicPublish != cfg.AllowAtomicPublish || with.AllowMsgTTL != cfg.AllowMsgTTL ||
			with.AllowRollup != cfg.AllowRollup || with.AllowDirect != cfg.AllowDirect || with.Discard != cfg.Discard {
			cfg, changed = with, true
		}
	}
	if !changed {
		return nil
	}
	if err := c.check(cfg); err != nil {
		return err
	}
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("forward: update stream %s: %w", c.Name, err)
	}
	return nil
}

// check runs c.Check, if set, on the configuration cfg the stream would
// have.
func (c StreamConfig) check(cfg jetstream.StreamConfig) error {
	if c.Check == nil {
		return nil
	}
	if err := c.Check(cfg); err != nil {
		return fmt.Errorf("forward: stream %s not changed: %w", c.Name, err)
	}
	return nil
}

// streamConfig adds withDecisions to a stream's configuration.
type streamConfig jetstream.StreamConfig

// withDecisions returns sc with what c.Decisions asks for: the decision
// subjects added, the features allowed, and a full stream refusing new
// messages.
func (sc streamConfig) withDecisions(c StreamConfig) jetstream.StreamConfig {
	cfg := jetstream.StreamConfig(sc)
	if !c.Decisions {
		return cfg
	}
	cfg.Subjects = slices.Clone(cfg.Subjects)
	for _, subj := range c.DecisionSubjects {
		if !slices.Contains(cfg.Subjects, subj) {
			cfg.Subjects = append(cfg.Subjects, subj)
		}
	}
	cfg.AllowAtomicPublish, cfg.AllowMsgTTL, cfg.AllowRollup, cfg.AllowDirect = true, true, true, true
	if cfg.MaxBytes > 0 || cfg.MaxMsgs > 0 {
		cfg.Discard = jetstream.DiscardNew
	}
	return cfg
}

// maxBytes is JetStream's form of a byte limit: -1 for none.
func maxBytes(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

// LimitAtomicBatches lets n atomic batches be open at once per stream on a
// server started with opts (nats-server's default is 50), raising the
// server-wide limit (default 1,000) to at least n. n <= 0 keeps the
// defaults.
func LimitAtomicBatches(opts *server.Options, n int) {
	if n > 0 {
		opts.JetStreamLimits.MaxBatchInflightPerStream = n
		opts.JetStreamLimits.MaxBatchInflightTotal = max(n, 1000)
	}
}

// EnsureDeadLetterStream creates the stream DeadLetterStream on
// DeadLetterSubjects (file storage, limits retention, with c's replicas,
// MaxAge and MaxBytes) unless it exists; an existing one is left as it is.
func EnsureDeadLetterStream(ctx context.Context, js jetstream.JetStream, c StreamConfig) error {
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:      DeadLetterStream,
		Subjects:  []string{DeadLetterSubjects},
		Storage:   jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy,
		MaxAge:    c.MaxAge,
		MaxBytes:  maxBytes(c.MaxBytes),
		Replicas:  max(1, c.Replicas),
	})
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("forward: create stream %s: %w", DeadLetterStream, err)
	}
	return nil
}
