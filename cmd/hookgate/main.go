// Command hookgate is a webhook receiver gateway: it verifies provider
// signatures, drops duplicate and stale events, and forwards the rest to
// NATS. This package only parses flags and wires the gateway package.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"hookgate/bench"
	"hookgate/gateway"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = ""

const usage = `hookgate: webhook receiver gateway

Usage:
  hookgate serve -config FILE             run the gateway
  hookgate check-config -config FILE      validate a config and print every problem
  hookgate send -config FILE -provider NAME [-url URL] [-id ID] [-event-type T] [-body FILE]
                                          sign a test event with the provider's first secret and POST it
  hookgate sign (-type TYPE -secret S [-option K=V]... | -config FILE -provider NAME)
                [-url URL] [-id ID] [-event-type T] [-body FILE] [-at UNIX] [-curl]
                                          print a correctly signed request (JSON, or a curl command)
  hookgate verify (-type TYPE [-secret S]... [-public-key K]... [-jwks FILE] [-audience A]...
                  [-option K=V]... | -config FILE -provider NAME) [-tolerance D] [-at UNIX] -request FILE
                                          check one captured request offline and say why it fails
  hookgate tail [-config FILE | -nats URL] [-user U [-password P]] [-stream NAME [-all]] [-count N] SUBJECT
                                          print messages arriving on a NATS subject
  hookgate events -config FILE [-provider P] [-status S] [-since T] [-until T] [-limit N] [-id ID]
                                          list archived events, or show one (-id) with headers and body
  hookgate replay -config FILE (-provider P | -id ID | -since T) [-since T] [-until T] [-subject S]
                                          publish archived events again, marked as a replay
  hookgate quarantine -config FILE [-provider P] [-limit N] [-id N]
                                          list requests that failed verification, or print one (-id) as a
                                          request file for 'hookgate verify -request -'
  hookgate bench [-events N] [-concurrency C] [-type TYPE] [-duplicates F] [-out-of-order F] [-rate R]
                 [-url URL -config FILE -provider NAME]
                                          load benchmark against the embedded defaults (or a running
                                          gateway), with a baseline handler measured in the same run
  hookgate providers [-markdown]          list the provider types (presets and generic schemes)
  hookgate version                        print the version

Exit status: 0 on success, 1 on failure (verify: the request is invalid),
2 on bad usage (verify: also an unreadable request or unusable options).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// SIGHUP stays handled for the process's whole life (serve reloads on
	// it while serving): its default action would kill a gateway that is
	// still starting or draining.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP)
	os.Exit(Run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks errors that exit with status 2 and print the usage.
var errUsage = errors.New("usage")

// exitError is an outcome with its own exit status and message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// strings is a repeatable string flag.
type stringsFlag []string

func (f *stringsFlag) String() string     { return strings.Join(*f, ",") }
func (f *stringsFlag) Set(v string) error { *f = append(*f, v); return nil }

// Run runs one subcommand and returns the process exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		m := NewMain(stdout, stderr)
		if err = m.ParseFlags(rest); err == nil {
			if err = m.Run(ctx); err == nil {
				err = errors.Join(m.Wait(ctx), m.Close())
			}
		}
	case "check-config":
		err = checkConfig(rest, stdout)
	case "send":
		err = send(ctx, rest, stdout)
	case "tail":
		err = tail(ctx, rest, stdout)
	case "verify":
		err = verifyRequest(rest, stdout)
	case "sign":
		err = sign(rest, stdout)
	case "providers":
		err = providers(rest, stdout)
	case "bench":
		err = benchmark(ctx, rest, stdout)
	case "bench-baseline": // the baseline server `hookgate bench` starts
		err = baseline(ctx, rest, stderr)
	case "events":
		err = events(ctx, rest, stdout)
	case "replay":
		err = replay(ctx, rest, stdout)
	case "quarantine":
		err = quarantine(ctx, rest, stdout)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "hookgate", version())
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "hookgate: %v\n\n%s", err, usage)
		return 2
	case errors.As(err, new(*exitError)):
		var e *exitError
		errors.As(err, &e)
		fmt.Fprintln(stderr, e.msg)
		return e.code
	default:
		fmt.Fprintf(stderr, "hookgate: %v\n", err)
		return 1
	}
}

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "dev"
}

// Main is the serve command: ParseFlags, Run, Close. Tests drive it with a
// config on port 0 and a temp data_dir.
type Main struct {
	ConfigPath string
	CPUProfile string
	MemProfile string
	Config     *gateway.Config
	Server     *gateway.Server
	Stdout     io.Writer
	Stderr     io.Writer

	profile *os.File
}

// NewMain returns a Main writing to the given streams.
func NewMain(stdout, stderr io.Writer) *Main {
	return &Main{Stdout: stdout, Stderr: stderr}
}

// ParseFlags reads serve's flags and loads and validates the config.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.StringVar(&m.ConfigPath, "config", "config.yaml", "config file")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&m.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	fs.StringVar(&m.MemProfile, "memprofile", "", "write a heap profile to this file at shutdown (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("%w: -log-level: %w", errUsage, err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch *logFormat {
	case "text":
		slog.SetDefault(slog.New(slog.NewTextHandler(m.Stderr, hopts)))
	case "json":
		slog.SetDefault(slog.New(slog.NewJSONHandler(m.Stderr, hopts)))
	default:
		return fmt.Errorf("%w: -log-format %q is not text or json", errUsage, *logFormat)
	}
	cfg, err := gateway.LoadConfig(m.ConfigPath)
	if err != nil {
		return err
	}
	m.Config = cfg
	return nil
}

// parseNoArgs parses a command's flags and refuses words left after them:
// the flag package stops at the first one, so a misplaced argument would
// silently drop the flags that follow it.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q (flags go before it, and this command takes no other)", errUsage, fs.Arg(0))
	}
	return nil
}

// minProcs is the GOMAXPROCS serve runs with at least: with one, a cgo
// call into SQLite holds the only P and the HTTP side starves (measured in
// DESIGN.md: 7.5k req/s and p99 ~170 ms with 1, 12.9k and 21 ms with 2 on the
// same single core). An explicit GOMAXPROCS in the environment wins.
const minProcs = 2

// Run starts the gateway and returns once it is listening.
func (m *Main) Run(ctx context.Context) error {
	if n := runtime.GOMAXPROCS(0); n < minProcs && os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(minProcs)
		slog.Info("raised GOMAXPROCS so the SQLite writer cannot starve the HTTP side", "from", n, "to", minProcs)
	}
	if m.CPUProfile != "" {
		f, err := os.Create(m.CPUProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		m.profile = f
	}
	s, err := gateway.Open(ctx, m.Config, gateway.Options{
		LoadConfig: func() (*gateway.Config, error) { return gateway.LoadConfig(m.ConfigPath) },
	})
	if err != nil {
		return err
	}
	m.Server = s
	return nil
}

// Wait serves until ctx ends (SIGINT, SIGTERM) or the server fails,
// reloading the config on SIGHUP: a config that does not validate is
// rejected and the running one stays.
func (m *Main) Wait(ctx context.Context) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	served := make(chan error, 1)
	go func() { served <- m.Server.Serve() }()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(m.Stderr, "hookgate: shutting down")
			return nil
		case err := <-served:
			return err
		case <-hup:
			m.Server.ReloadFromSource() // it logs the outcome
		}
	}
}

// Close stops the gateway gracefully.
func (m *Main) Close() error {
	if m.MemProfile != "" {
		if f, err := os.Create(m.MemProfile); err == nil {
			pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
	if m.profile != nil {
		pprof.StopCPUProfile()
		m.profile.Close()
		m.profile = nil
	}
	if m.Server == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return m.Server.Close(ctx)
}

func checkConfig(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	path := fs.String("config", "config.yaml", "config file")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if _, err := gateway.LoadConfig(*path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: OK\n", *path)
	return nil
}

func send(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	path := fs.String("config", "config.yaml", "config file")
	name := fs.String("provider", "", "provider name from the config (required)")
	url := fs.String("url", "", "gateway base URL (default: from the config's listen address)")
	var ev gateway.TestEvent
	fs.StringVar(&ev.ID, "id", "", "event ID (default: random)")
	fs.StringVar(&ev.Type, "event-type", "", "event type (default: hookgate.test)")
	fs.StringVar(&ev.Entity, "entity", "", "ordering key, for providers with ordering")
	fs.StringVar(&ev.Version, "version", "", "ordering version (default: now)")
	bodyFile := fs.String("body", "", "file with the exact body to send")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("%w: -provider is required", errUsage)
	}
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			return err
		}
		ev.Body = b
	}
	cfg, err := gateway.LoadConfig(*path)
	if err != nil {
		return err
	}
	resp, err := gateway.Send(ctx, cfg, *name, *url, ev, stdout)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("gateway answered %s", resp.Status)
	}
	return nil
}

func tail(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	path := fs.String("config", "", "config file (takes the NATS address and stream from it)")
	var o gateway.TailOptions
	fs.StringVar(&o.URL, "nats", "", "NATS URL (default nats://127.0.0.1:4222)")
	fs.StringVar(&o.Stream, "stream", "", "read from this JetStream stream (default: live messages only)")
	fs.BoolVar(&o.All, "all", false, "with -stream: start from the stream's first message")
	fs.IntVar(&o.Count, "count", 0, "exit after N messages")
	user := fs.String("user", "", "NATS user (default with -config: the first of nats.users, or nats.user with nats.url)")
	password := fs.String("password", "", "NATS password (default with -config and -user: that user's in nats.users)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: tail takes one SUBJECT (wildcards allowed, e.g. 'webhooks.>')", errUsage)
	}
	o.Subject = fs.Arg(0)
	switch {
	case *password != "" && *user == "":
		return fmt.Errorf("%w: -password needs -user", errUsage)
	case *user != "" && *password == "" && *path == "":
		return fmt.Errorf("%w: -user needs -password, or -config with the user in nats.users", errUsage)
	}
	if *path != "" {
		cfg, err := gateway.LoadConfig(*path)
		if err != nil {
			return err
		}
		if o.URL == "" {
			o.URL = cfg.NATSClientURL()
		}
		if o.Auth, err = cfg.ClientAuth(*user, *password); err != nil {
			return err
		}
	} else if *user != "" {
		o.Auth = gateway.NATSAuth{User: *user, Password: *password}
	}
	if o.URL == "" {
		o.URL = "nats://127.0.0.1:4222"
	}
	if o.All && o.Stream == "" {
		return fmt.Errorf("%w: -all needs -stream", errUsage)
	}
	return gateway.Tail(ctx, o, stdout)
}

func providers(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("providers", flag.ContinueOnError)
	markdown := fs.Bool("markdown", false, "print the Markdown table that README.md embeds")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	return gateway.WriteProviders(stdout, *markdown)
}

// schemeFlags are the flags that configure a scheme without a config file,
// shared by verify and sign.
type schemeFlags struct {
	config, provider, typ string
	secrets, options      stringsFlag
}

func (sf *schemeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&sf.config, "config", "", "config file (with -provider, instead of -type and the key flags)")
	fs.StringVar(&sf.provider, "provider", "", "provider name in -config")
	fs.StringVar(&sf.typ, "type", "", "provider type (see `hookgate providers`)")
	fs.Var(&sf.secrets, "secret", "secret, key or trust anchor (repeatable; tried in order)")
	fs.Var(&sf.options, "option", "scheme option KEY=VALUE, as in a provider's options block (repeatable)")
}

// providerConfig builds the provider from -config/-provider, or from -type
// and the key flags. Problems are usage errors (exit 2).
func (sf *schemeFlags) providerConfig() (*gateway.ProviderConfig, *gateway.Config, error) {
	if sf.config != "" {
		if sf.provider == "" || sf.typ != "" || len(sf.secrets) > 0 || len(sf.options) > 0 {
			return nil, nil, fmt.Errorf("%w: -config takes -provider, and no -type, -secret or -option", errUsage)
		}
		cfg, err := gateway.LoadConfig(sf.config)
		if err != nil {
			return nil, nil, &exitError{2, "hookgate: " + err.Error()}
		}
		pc, err := cfg.Provider(sf.provider)
		if err != nil {
			return nil, nil, &exitError{2, "hookgate: " + err.Error()}
		}
		return pc, cfg, nil
	}
	if sf.typ == "" {
		return nil, nil, fmt.Errorf("%w: give -type TYPE, or -config FILE -provider NAME", errUsage)
	}
	so, err := gateway.ParseOptionFlags(sf.options)
	if err != nil {
		return nil, nil, &exitError{2, "hookgate: " + err.Error()}
	}
	pc := &gateway.ProviderConfig{Name: "cli", Type: sf.typ, Options: so}
	for _, s := range sf.secrets {
		pc.Secrets = append(pc.Secrets, gateway.Secret{Value: s})
	}
	return pc, nil, nil
}

// clock returns the time of -at (unix seconds), or now.
func clock(at string) (time.Time, error) {
	if at == "" {
		return time.Now(), nil
	}
	n, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: -at %q is not unix seconds", errUsage, at)
	}
	return time.Unix(n, 0), nil
}

func verifyRequest(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	var sf schemeFlags
	sf.register(fs)
	var publicKeys, audience stringsFlag
	fs.Var(&publicKeys, "public-key", "public key (repeatable; same as -secret)")
	fs.Var(&audience, "audience", "accepted token audience (repeatable; same as -option audience=A)")
	jwksFile := fs.String("jwks", "", "JWKS file (same as -option jwks_file=FILE)")
	tolerance := fs.Duration("tolerance", 0, "replay window (default: the type's)")
	at := fs.String("at", "", "the clock, in unix seconds (default: now)")
	reqFile := fs.String("request", "", `request file: JSON {"method","url","headers","body"} (required; - for stdin)`)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *reqFile == "" {
		return fmt.Errorf("%w: -request FILE is required", errUsage)
	}
	sf.secrets = append(sf.secrets, publicKeys...)
	for _, a := range audience {
		sf.options = append(sf.options, "audience="+a)
	}
	if *jwksFile != "" {
		sf.options = append(sf.options, "jwks_file="+*jwksFile)
	}
	pc, _, err := sf.providerConfig()
	if err != nil {
		return err
	}
	if *tolerance != 0 {
		pc.Tolerance = gateway.Duration(*tolerance)
	}
	now, err := clock(*at)
	if err != nil {
		return err
	}
	var in io.Reader = os.Stdin
	if *reqFile != "-" {
		f, err := os.Open(*reqFile)
		if err != nil {
			return &exitError{2, "hookgate: " + err.Error()}
		}
		defer f.Close()
		in = f
	}
	req, err := gateway.ReadCapturedRequest(in)
	if err != nil {
		return &exitError{2, "hookgate: " + err.Error()}
	}
	res, err := gateway.CheckRequest(pc, req, now)
	if errors.Is(err, gateway.ErrConfig) {
		return &exitError{2, "hookgate: " + err.Error()}
	}
	if err != nil {
		return &exitError{1, "invalid: " + err.Error()}
	}
	fmt.Fprintf(stdout, "valid: %s, secret %d matched\n", pc.Type, res.SecretIndex)
	if r := res.Response; r != nil {
		fmt.Fprintf(stdout, "handshake: answer %s with %s\n", r.ContentType, r.Body)
	}
	return nil
}

func sign(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	var sf schemeFlags
	sf.register(fs)
	url := fs.String("url", "", "URL the request is for (default: the config's listen address and the provider's path, or http://127.0.0.1:8080/webhooks/TYPE)")
	var ev gateway.TestEvent
	fs.StringVar(&ev.ID, "id", "", "event ID (default: random)")
	fs.StringVar(&ev.Type, "event-type", "", "event type (default: hookgate.test)")
	bodyFile := fs.String("body", "", "file with the exact body to sign")
	at := fs.String("at", "", "signing time, in unix seconds (default: now)")
	curl := fs.Bool("curl", false, "print a curl command instead of a request file")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	pc, cfg, err := sf.providerConfig()
	if err != nil {
		return err
	}
	now, err := clock(*at)
	if err != nil {
		return err
	}
	if *bodyFile != "" {
		if ev.Body, err = os.ReadFile(*bodyFile); err != nil {
			return err
		}
	}
	base := *url
	switch {
	case cfg != nil && base == "":
		if base, err = cfg.BaseURL(); err != nil {
			return err
		}
	case cfg == nil && base == "":
		base = "http://127.0.0.1:8080/webhooks/" + sf.typ
	case cfg != nil:
		pc.Path = "" // -url is the whole URL
	}
	r, err := pc.TestRequest(base, ev, now)
	if errors.Is(err, gateway.ErrConfig) { // an unknown type or unusable options, as verify
		return &exitError{2, "hookgate: " + err.Error()}
	}
	if err != nil {
		return err
	}
	if *curl {
		return gateway.WriteCurl(stdout, r)
	}
	return gateway.WriteCapturedRequest(stdout, r)
}

// queryFlags are the archive filters of events and replay.
func queryFlags(fs *flag.FlagSet) func() (gateway.Query, error) {
	vals := map[string]*string{}
	for name, usage := range map[string]string{
		"provider": "provider name",
		"status":   "accepted or stale",
		"id":       "provider's event ID",
		"since":    "received at or after (RFC 3339 or unix seconds)",
		"until":    "received before (RFC 3339 or unix seconds)",
		"limit":    "at most this many (default 100)",
	} {
		vals[name] = fs.String(name, "", usage)
	}
	return func() (gateway.Query, error) {
		q, err := gateway.EventQuery(func(k string) string {
			if v, ok := vals[k]; ok {
				return *v
			}
			return ""
		})
		if err != nil {
			return q, fmt.Errorf("%w: %w", errUsage, err)
		}
		return q, nil
	}
}

func events(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	path := fs.String("config", "config.yaml", "config file (its data_dir holds the archive)")
	query := queryFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	q, err := query()
	if err != nil {
		return err
	}
	cfg, err := gateway.LoadConfig(*path)
	if err != nil {
		return err
	}
	rs, err := gateway.ListEvents(ctx, cfg, q, q.EventID != "")
	if err != nil {
		return err
	}
	if !cfg.Archive.Enabled {
		fmt.Fprintln(os.Stderr, "hookgate: note: archive.enabled is false in this config; only events archived earlier are listed")
	}
	gateway.WriteEvents(stdout, rs, q.EventID != "")
	return nil
}

func replay(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	path := fs.String("config", "config.yaml", "config file (its data_dir holds the archive)")
	subject := fs.String("subject", "", "publish on this subject instead of the original one")
	query := queryFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	q, err := query()
	if err != nil {
		return err
	}
	if q.Status != "" && q.Status != "accepted" {
		return fmt.Errorf("%w: only accepted events are replayed", errUsage)
	}
	cfg, err := gateway.LoadConfig(*path)
	if err != nil {
		return err
	}
	// OpenDB would create an empty database, and the replay would "queue"
	// nothing, successfully.
	if _, err := os.Stat(filepath.Join(cfg.DataDir, gateway.DBFile)); err != nil {
		return fmt.Errorf("replay: no gateway database in data_dir %q (is the config the gateway's, run from its directory?): %w", cfg.DataDir, err)
	}
	db, err := gateway.OpenDB(ctx, cfg.DataDir, gateway.DBOptions{Synchronous: cfg.Storage.Synchronous})
	if err != nil {
		return err
	}
	defer db.Close()
	id, n, _, err := gateway.ReplayDB(ctx, db, q, *subject, time.Now())
	if errors.Is(err, gateway.ErrConfig) {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "replay %s: %d events queued in the outbox; a running gateway sends them within a second, a stopped one at its next start\n", id, n)
	return nil
}

func quarantine(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("quarantine", flag.ContinueOnError)
	path := fs.String("config", "config.yaml", "config file (its data_dir holds the quarantine)")
	provider := fs.String("provider", "", "provider name")
	limit := fs.Int("limit", 100, "at most this many")
	id := fs.Int64("id", 0, "print this request as a request file")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	cfg, err := gateway.LoadConfig(*path)
	if err != nil {
		return err
	}
	rs, err := gateway.ListQuarantine(ctx, cfg, *provider, *id, *limit)
	if err != nil {
		return err
	}
	if *id == 0 {
		gateway.WriteQuarantine(stdout, rs)
		return nil
	}
	if len(rs) == 0 {
		return fmt.Errorf("no quarantined request %d", *id)
	}
	return gateway.WriteCapturedRequest(stdout, rs[0].Request)
}

func benchmark(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o bench.Options
	fs.IntVar(&o.Events, "events", 20000, "distinct events to send")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "client connections")
	fs.StringVar(&o.Type, "type", "stripe", "provider type of the events")
	fs.Float64Var(&o.Duplicates, "duplicates", 0.05, "share of extra sends repeating an event")
	fs.Float64Var(&o.OutOfOrder, "out-of-order", 0.05, "share of events sent after a newer version")
	fs.IntVar(&o.BodySize, "body-size", 1500, "approximate body size in bytes")
	fs.Float64Var(&o.Rate, "rate", 0, "requests per second in total (0: as fast as answered)")
	fs.BoolVar(&o.Baseline, "baseline", true, "also measure the baseline handler")
	fs.DurationVar(&o.TTL, "ttl", 168*time.Hour, "dedupe TTL of the benchmark provider")
	fs.DurationVar(&o.StreamAge, "stream-max-age", 0, "the stream's max_age (0: keep everything; the exactly-once check needs it)")
	fs.DurationVar(&o.DupWindow, "dup-window", 2*time.Minute, "the stream's duplicate window (at most -ttl)")
	fs.StringVar(&o.Sync, "sync", "full", "storage.synchronous: full or normal")
	fs.IntVar(&o.GOMAXPROCS, "gomaxprocs", 0, "GOMAXPROCS of the servers (0: their own choice)")
	fs.StringVar(&o.CPUSet, "cpuset", "", "pin the servers to these CPUs (taskset -c), e.g. 0 for one core")
	fs.StringVar(&o.MemLimit, "memlimit", "", "GOMEMLIMIT of the servers, e.g. 192MiB (empty: none)")
	fs.IntVar(&o.Samples, "samples", 0, "print the gateway's memory and data size this many times")
	fs.BoolVar(&o.KeepDir, "keep", false, "keep the gateway's data directory")
	fs.StringVar(&o.URL, "url", "", "target a running gateway at this base URL (with -config and -provider)")
	fs.StringVar(&o.Config, "config", "", "config of the running gateway")
	fs.StringVar(&o.Provider, "provider", "", "provider of the running gateway to send as")
	fs.StringVar(&o.LogLevel, "log-level", "info", "the gateway's log level (info logs a line per request)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write the gateway's CPU profile to this file")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write the gateway's heap profile to this file when it stops")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if (o.URL != "") != (o.Config != "" && o.Provider != "") {
		return fmt.Errorf("%w: -url goes with -config and -provider", errUsage)
	}
	rep, err := bench.Run(ctx, o, stdout)
	if err != nil {
		return err
	}
	return rep.Check
}

func baseline(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench-baseline", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	return bench.ServeBaseline(ctx, *listen, stderr)
}
