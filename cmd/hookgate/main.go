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

// runFunc runs a command once its flags are parsed.
type runFunc func(ctx context.Context, stdout, stderr io.Writer) error

// command is one subcommand. Its flags are defined once, by define, and
// make its parser, its usage line and its -h output.
type command struct {
	name    string
	summary string
	// synopsis is what the flags cannot say: the required flags and the
	// alternatives, e.g. "-provider NAME". The usage line adds every other
	// flag as [-flag ARG].
	synopsis string
	// args names the positional arguments after the flags (tail's
	// SUBJECT); a command without them refuses any.
	args string
	// hidden commands are not listed (bench-baseline is run by bench).
	hidden bool
	// define registers the flags on fs and returns what runs the command.
	define func(fs *flag.FlagSet) runFunc
}

// commands are hookgate's subcommands, in the order the usage lists them.
var commands = []*command{
	{name: "serve", summary: "run the gateway", define: defineServe},
	{name: "check-config", summary: "validate a config and print every problem", define: defineCheckConfig},
	{name: "send", synopsis: "-provider NAME", summary: "sign a test event with the provider's first secret and POST it to the gateway", define: defineSend},
	{name: "sign", synopsis: "(-type TYPE -secret SECRET | -config FILE -provider NAME)", summary: "print a correctly signed request (a request file for verify, or a curl command)", define: defineSign},
	{name: "verify", synopsis: "(-type TYPE | -config FILE -provider NAME) -request FILE", summary: "check one captured request offline and say why it fails", define: defineVerify},
	{name: "tail", args: "SUBJECT", summary: "print messages arriving on a NATS subject", define: defineTail},
	{name: "events", summary: "list archived events, or show one (-id) with headers and body", define: defineEvents},
	{name: "replay", synopsis: "(-provider NAME | -id ID | -since TIME | -parked | -list | -cancel ID)", summary: "publish archived accepted events again, marked as a replay; send parked rows again; list or cancel replays", define: defineReplay},
	{name: "quarantine", summary: "list requests that failed verification, or print one (-id) as a request file that verify reads", define: defineQuarantine},
	{name: "bench", summary: "load benchmark against the embedded defaults (or a running gateway), with a baseline handler measured in the same run", define: defineBench},
	{name: "bench-baseline", hidden: true, summary: "the baseline server hookgate bench starts", define: defineBaseline},
	{name: "providers", summary: "list the provider types (presets and generic schemes)", define: defineProviders},
	{name: "version", summary: "print the version", define: defineVersion},
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usageWidth is where usage lines wrap.
const usageWidth = 100

// usageLine is prefix + "hookgate NAME SYNOPSIS [-flag ARG]... ARGS",
// made from the command's flags and wrapped at usageWidth, with
// continuation lines indented under the first flag.
func (c *command) usageLine(prefix string) string {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.define(fs)
	words := []string{}
	if c.synopsis != "" {
		words = append(words, c.synopsis)
	}
	named := map[string]bool{}
	for _, w := range strings.Fields(c.synopsis) {
		named[strings.TrimLeft(w, "([|")] = true
	}
	fs.VisitAll(func(f *flag.Flag) {
		if named["-"+f.Name] {
			return
		}
		word := "[-" + f.Name
		if arg := flagArg(f); arg != "" {
			word += " " + arg
		}
		word += "]"
		if _, ok := f.Value.(*stringsFlag); ok {
			word += "..."
		}
		words = append(words, word)
	})
	if c.args != "" {
		words = append(words, c.args)
	}
	head := prefix + "hookgate " + c.name
	return head + wrap(words, len(head), usageWidth)
}

// wrap joins words with spaces, each preceded by one, starting at column
// col, and breaks lines before width, indenting them to col+1.
func wrap(words []string, col, width int) string {
	var b strings.Builder
	line := col
	for _, w := range words {
		if line > col && line+1+len(w) > width {
			b.WriteString("\n" + strings.Repeat(" ", col))
			line = col
		}
		b.WriteString(" " + w)
		line += 1 + len(w)
	}
	return b.String()
}

// flagArg is the name of a flag's argument: the back-quoted word of its
// usage ("read `FILE`"), nothing for a bool flag.
func flagArg(f *flag.Flag) string {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return ""
	}
	name, _ := flag.UnquoteUsage(f)
	return name
}

// usage is the top-level help: every command's usage line and summary.
func usage() string {
	var b strings.Builder
	b.WriteString("hookgate: webhook receiver gateway\n\nUsage:\n")
	for _, c := range commands {
		if c.hidden {
			continue
		}
		fmt.Fprintf(&b, "%s\n     %s\n", c.usageLine("  "), wrap(strings.Fields(c.summary), 5, usageWidth))
	}
	b.WriteString(`
'hookgate COMMAND -h' describes a command's flags.

Exit status: 0 on success, 1 on failure or when nothing is found (verify: the
request is invalid), 2 on bad usage (verify: also an unreadable request or
unusable options).
`)
	return b.String()
}

// help prints a command's usage line, summary and flags.
func (c *command) help(w io.Writer) {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.define(fs)
	fmt.Fprintf(w, "%s\n\n%s.\n", c.usageLine("Usage: "), capitalize(c.summary))
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parse parses a command's flags. Words left after them are refused unless
// the command takes arguments: the flag package stops at the first word,
// so a misplaced one would silently drop the flags that follow it.
func (c *command) parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard) // Run prints the errors and the help
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 && c.args == "" {
		return fmt.Errorf("%w: unexpected argument %q (flags go before it, and this command takes no other)", errUsage, fs.Arg(0))
	}
	return nil
}

// Run runs one subcommand and returns the process exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	var (
		err error
		cmd *command
	)
	switch name, rest := args[0], args[1:]; name {
	case "-version", "--version":
		fmt.Fprintln(stdout, "hookgate", version())
	case "help", "-h", "-help", "--help":
		if c := lookup(strings.Join(rest, " ")); c != nil {
			c.help(stdout)
		} else {
			fmt.Fprint(stdout, usage())
		}
	default:
		if cmd = lookup(name); cmd == nil {
			err = fmt.Errorf("%w: unknown command %q", errUsage, name)
			break
		}
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		run := cmd.define(fs)
		if err = cmd.parse(fs, rest); err == nil {
			err = run(ctx, stdout, stderr)
		}
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		cmd.help(stdout)
		return 0
	case errors.Is(err, errUsage) && cmd != nil:
		fmt.Fprintf(stderr, "hookgate %s: %s\n\n%s\n'hookgate %s -h' describes its flags.\n", cmd.name, strings.TrimPrefix(err.Error(), errUsage.Error()+": "), cmd.usageLine("Usage: "), cmd.name)
		return 2
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "hookgate: %v\n\n%s", err, usage())
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

func defineVersion(*flag.FlagSet) runFunc {
	return func(_ context.Context, stdout, _ io.Writer) error {
		fmt.Fprintln(stdout, "hookgate", version())
		return nil
	}
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
	configure := m.defineFlags(fs)
	if err := lookup("serve").parse(fs, args); err != nil {
		return err
	}
	return configure()
}

// defineFlags registers serve's flags on fs. The function it returns sets
// up logging and loads and validates the config, once they are parsed.
func (m *Main) defineFlags(fs *flag.FlagSet) func() error {
	fs.StringVar(&m.ConfigPath, "config", "config.yaml", "config `FILE`")
	logFormat := fs.String("log-format", "text", "log `FORMAT`: text or json")
	logLevel := fs.String("log-level", "info", "log `LEVEL`: debug, info, warn or error")
	fs.StringVar(&m.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole run to `FILE` (go tool pprof)")
	fs.StringVar(&m.MemProfile, "memprofile", "", "write a heap profile to `FILE` at shutdown (go tool pprof)")
	return func() error {
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
}

func defineServe(fs *flag.FlagSet) runFunc {
	m := &Main{}
	configure := m.defineFlags(fs)
	return func(ctx context.Context, stdout, stderr io.Writer) error {
		m.Stdout, m.Stderr = stdout, stderr
		if err := configure(); err != nil {
			return err
		}
		if err := m.Run(ctx); err != nil {
			return err
		}
		return errors.Join(m.Wait(ctx), m.Close())
	}
}

// minProcs is the GOMAXPROCS serve runs with at least: with one, a cgo
// call into SQLite holds the only P and the HTTP side starves (README.md,
// Performance: 4,017 req/s and p99 39 ms with 1, 12,534 and 11 ms with 2 on
// the same single core). An explicit GOMAXPROCS in the environment wins.
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

func defineCheckConfig(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE`")
	return func(_ context.Context, stdout, _ io.Writer) error {
		if _, err := gateway.LoadConfig(*path); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: OK\n", *path)
		return nil
	}
}

// gatewayFlag is the flag for a running gateway's base URL (the provider's
// path is appended to it), the same in every command that takes one.
func gatewayFlag(fs *flag.FlagSet, usage string) *string {
	return fs.String("gateway", "", "the gateway's base `URL`, e.g. http://127.0.0.1:8080 "+usage)
}

func defineSend(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE`")
	name := fs.String("provider", "", "provider `NAME` from the config (required)")
	base := gatewayFlag(fs, "(default: from the config's listen address)")
	var ev gateway.TestEvent
	fs.StringVar(&ev.ID, "id", "", "event `ID` (default: random)")
	fs.StringVar(&ev.Type, "event-type", "", "event `TYPE` (default: hookgate.test)")
	fs.StringVar(&ev.Entity, "entity", "", "ordering `KEY`, for providers with ordering")
	fs.StringVar(&ev.Version, "version", "", "ordering `VERSION` (default: now)")
	bodyFile := fs.String("body", "", "`FILE` with the exact body to send")
	return func(ctx context.Context, stdout, _ io.Writer) error {
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
		resp, err := gateway.Send(ctx, cfg, *name, *base, ev, stdout)
		if err != nil {
			return err
		}
		if resp.StatusCode >= 300 {
			return fmt.Errorf("gateway answered %s", resp.Status)
		}
		return nil
	}
}

func defineTail(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "", "config `FILE` (takes the NATS address, stream and credentials from it)")
	var o gateway.TailOptions
	fs.StringVar(&o.URL, "nats", "", "NATS `URL` (default nats://127.0.0.1:4222)")
	fs.StringVar(&o.Stream, "stream", "", "read from the JetStream stream `NAME` (default: live messages only)")
	fs.BoolVar(&o.All, "all", false, "with -stream: start from the stream's first message")
	fs.IntVar(&o.Count, "count", 0, "exit after `N` messages")
	user := fs.String("user", "", "NATS `USER` (default with -config: the first of nats.users, or nats.user with nats.url)")
	password := fs.String("password", "", "NATS `PASSWORD` (default with -config and -user: that user's in nats.users)")
	return func(ctx context.Context, stdout, _ io.Writer) error {
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
}

func defineProviders(fs *flag.FlagSet) runFunc {
	markdown := fs.Bool("markdown", false, "print the Markdown table that README.md embeds")
	return func(_ context.Context, stdout, _ io.Writer) error {
		return gateway.WriteProviders(stdout, *markdown)
	}
}

// schemeFlags are the flags that configure a scheme without a config file,
// shared by verify and sign.
type schemeFlags struct {
	config, provider, typ string
	secrets, options      stringsFlag
}

func (sf *schemeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&sf.config, "config", "", "config `FILE` (with -provider, instead of -type and the key flags)")
	fs.StringVar(&sf.provider, "provider", "", "provider `NAME` in -config")
	fs.StringVar(&sf.typ, "type", "", "provider `TYPE` (see hookgate providers)")
	fs.Var(&sf.secrets, "secret", "the provider's `SECRET`, key or trust anchor (repeatable; tried in order)")
	fs.Var(&sf.options, "option", "scheme option `KEY=VALUE`, as in a provider's options block (repeatable)")
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

func defineVerify(fs *flag.FlagSet) runFunc {
	var sf schemeFlags
	sf.register(fs)
	var publicKeys, audience stringsFlag
	fs.Var(&publicKeys, "public-key", "public `KEY` (repeatable; same as -secret)")
	fs.Var(&audience, "audience", "accepted token `AUDIENCE` (repeatable; same as -option audience=AUDIENCE)")
	jwksFile := fs.String("jwks", "", "JWKS `FILE` (same as -option jwks_file=FILE)")
	tolerance := fs.Duration("tolerance", 0, "replay window `DURATION` (default: the type's)")
	at := fs.String("at", "", "the clock, in `UNIX` seconds (default: now)")
	reqFile := fs.String("request", "", "request `FILE`: JSON {\"method\",\"url\",\"headers\",\"body\"} (required; - for stdin)")
	return func(_ context.Context, stdout, _ io.Writer) error {
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
}

func defineSign(fs *flag.FlagSet) runFunc {
	var sf schemeFlags
	sf.register(fs)
	base := gatewayFlag(fs, "(default: the config's listen address, or http://127.0.0.1:8080); the provider's path is appended")
	url := fs.String("url", "", "the whole request `URL`, instead of -gateway and the provider's path")
	var ev gateway.TestEvent
	fs.StringVar(&ev.ID, "id", "", "event `ID` (default: random)")
	fs.StringVar(&ev.Type, "event-type", "", "event `TYPE` (default: hookgate.test)")
	bodyFile := fs.String("body", "", "`FILE` with the exact body to sign")
	at := fs.String("at", "", "signing time, in `UNIX` seconds (default: now)")
	curl := fs.Bool("curl", false, "print a curl command instead of a request file")
	return func(_ context.Context, stdout, _ io.Writer) error {
		if *base != "" && *url != "" {
			return fmt.Errorf("%w: give -gateway or -url, not both", errUsage)
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
		if cfg == nil { // a -type provider has no path of its own
			pc.Path = "/webhooks/" + sf.typ
		}
		target := *base
		switch {
		case *url != "":
			target, pc.Path = *url, "" // the whole URL
		case target == "" && cfg != nil:
			if target, err = cfg.BaseURL(); err != nil {
				return err
			}
		case target == "":
			target = "http://127.0.0.1:8080"
		}
		r, err := pc.TestRequest(target, ev, now)
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
}

// queryFlags are the archive filters of events and replay. The
// function it returns reads them into a Query once they are parsed.
func queryFlags(fs *flag.FlagSet, forReplay bool) func() (gateway.Query, error) {
	vals := map[string]*string{}
	str := func(name, usage string) { vals[name] = fs.String(name, "", usage) }
	str("provider", "only events of the provider `NAME`")
	str("id", "only the event with the provider's event `ID`")
	str("since", "only events received at or after `TIME` (RFC 3339 or unix seconds)")
	str("until", "only events received before `TIME` (RFC 3339 or unix seconds)")
	if forReplay {
		str("limit", "replay at most the `N` oldest matching events (default: every match)")
	} else {
		str("status", "only events with this `STATUS`, one of: "+strings.Join(gateway.EventStatuses, ", "))
		str("limit", "list at most `N` events, newest first (default 100)")
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

// archiveOff is the note added when the config keeps no archive.
const archiveOff = "archive.enabled is false in this config: only events archived while it was on are kept"

func defineEvents(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE` (its data_dir holds the archive)")
	query := queryFlags(fs, false)
	return func(ctx context.Context, stdout, stderr io.Writer) error {
		q, err := query()
		if err != nil {
			return err
		}
		cfg, err := gateway.LoadConfig(*path)
		if err != nil {
			return err
		}
		if q.Status == gateway.StatusParked {
			rows, err := gateway.ListParked(ctx, cfg, q)
			if errors.Is(err, gateway.ErrConfig) {
				return fmt.Errorf("%w: %w", errUsage, err)
			}
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				return &exitError{1, "hookgate: no row is parked"}
			}
			gateway.WriteParked(stdout, rows)
			return nil
		}
		rs, err := gateway.ListEvents(ctx, cfg, q, q.EventID != "")
		if err != nil {
			return err
		}
		if len(rs) == 0 && q.EventID != "" {
			msg := fmt.Sprintf("hookgate: no archived event with ID %q", q.EventID)
			if q.Provider != "" {
				msg += " of provider " + q.Provider
			}
			if !cfg.Archive.Enabled {
				msg += " (" + archiveOff + ")"
			}
			return &exitError{1, msg}
		}
		if !cfg.Archive.Enabled {
			fmt.Fprintln(stderr, "hookgate: note: "+archiveOff)
		}
		gateway.WriteEvents(stdout, rs, q.EventID != "")
		if len(rs) == 0 {
			fmt.Fprintln(stderr, "hookgate: no archived event matches")
		}
		return nil
	}
}

// seqsFlag is a repeatable -seq.
type seqsFlag []int64

func (f *seqsFlag) String() string { return fmt.Sprint(*f) }
func (f *seqsFlag) Set(v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a parked row's seq", v)
	}
	*f = append(*f, n)
	return nil
}

func defineReplay(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE` (its data_dir holds the archive)")
	subject := fs.String("subject", "", "publish on `SUBJECT` instead of the original one")
	parked := fs.Bool("parked", false, "send the parked rows again (all, or those of -seq), as they were")
	var seqs seqsFlag
	fs.Var(&seqs, "seq", "with -parked: only the parked row `N` (repeatable; see events -status parked)")
	list := fs.Bool("list", false, "list the replays with rows still waiting in the outbox")
	cancel := fs.String("cancel", "", "remove the rows of the replay `ID` that still wait in the outbox")
	query := queryFlags(fs, true)
	return func(ctx context.Context, stdout, _ io.Writer) error {
		q, err := query()
		if err != nil {
			return err
		}
		modes := 0
		for _, on := range []bool{*parked, *list, *cancel != ""} {
			if on {
				modes++
			}
		}
		filtered := q.Provider != "" || q.EventID != "" || !q.Since.IsZero() || !q.Until.IsZero() || q.Limit != 0 || *subject != ""
		switch {
		case modes > 1 || (modes == 1 && filtered):
			return fmt.Errorf("%w: -parked, -list and -cancel go alone (no query flags, no -subject)", errUsage)
		case len(seqs) > 0 && !*parked:
			return fmt.Errorf("%w: -seq goes with -parked", errUsage)
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
		const sent = "a running gateway sends them within a second, a stopped one at its next start"
		switch {
		case *list:
			rs, err := gateway.ListReplays(ctx, db.Read)
			if err != nil {
				return err
			}
			if len(rs) == 0 {
				return &exitError{1, "hookgate: no replay has rows waiting in the outbox"}
			}
			gateway.WriteReplays(stdout, rs)
			return nil
		case *cancel != "":
			n, _, err := gateway.CancelReplayDB(ctx, db, *cancel)
			if err != nil {
				return err
			}
			if n == 0 {
				return &exitError{1, fmt.Sprintf("hookgate: replay %s has no rows waiting in the outbox (unknown, or already sent)", *cancel)}
			}
			fmt.Fprintf(stdout, "replay %s cancelled: %d rows removed from the outbox before they were sent\n", *cancel, n)
			return nil
		case *parked:
			n, _, err := gateway.ResendParked(ctx, db, seqs, time.Now())
			if err != nil {
				return err
			}
			if n == 0 {
				return &exitError{1, "hookgate: replay: no parked row matches (see hookgate events -status parked)"}
			}
			fmt.Fprintf(stdout, "%d parked rows queued again in the outbox; %s\n", n, sent)
			return nil
		}
		if q.Provider == "" && q.EventID == "" && q.Since.IsZero() {
			return fmt.Errorf("%w: replay needs -provider, -id or -since (or -parked, -list, -cancel)", errUsage)
		}
		stream, err := gateway.StreamSubjects(ctx, cfg)
		if err != nil {
			return fmt.Errorf("replay: cannot check the replay's subjects against the stream, so nothing was queued: %w", err)
		}
		id, n, _, err := gateway.ReplayDB(ctx, db, q, *subject, stream, time.Now())
		if errors.Is(err, gateway.ErrConfig) {
			return &exitError{1, "hookgate: " + err.Error()}
		}
		if err != nil {
			return err
		}
		if n == 0 {
			why, err := gateway.WhyNoReplay(ctx, db, q)
			if err != nil {
				return err
			}
			msg := "hookgate: replay: nothing queued: " + why
			if !cfg.Archive.Enabled {
				msg += " (" + archiveOff + ")"
			}
			return &exitError{1, msg}
		}
		fmt.Fprintf(stdout, "replay %s: %d events queued in the outbox; %s\n", id, n, sent)
		return nil
	}
}

func defineQuarantine(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE` (its data_dir holds the quarantine)")
	provider := fs.String("provider", "", "only requests to the provider `NAME`")
	limit := fs.Int("limit", 100, "list at most `N` requests, newest first")
	id := fs.Int64("id", 0, "print the request `N` as a request file")
	return func(ctx context.Context, stdout, _ io.Writer) error {
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
			msg := fmt.Sprintf("hookgate: no quarantined request %d", *id)
			if *provider != "" {
				msg += " of provider " + *provider
			}
			if !cfg.Quarantine.Enabled {
				msg += " (quarantine.enabled is false in this config: only requests kept while it was on are there)"
			}
			return &exitError{1, msg}
		}
		return gateway.WriteCapturedRequest(stdout, rs[0].Request)
	}
}

func defineBench(fs *flag.FlagSet) runFunc {
	var o bench.Options
	fs.IntVar(&o.Events, "events", 20000, "`N` distinct events to send")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "`N` client connections")
	fs.StringVar(&o.Type, "type", "stripe", "provider `TYPE` of the events")
	fs.Float64Var(&o.Duplicates, "duplicates", 0.05, "`SHARE` of extra sends repeating an event")
	fs.Float64Var(&o.OutOfOrder, "out-of-order", 0.05, "`SHARE` of events sent after a newer version")
	fs.IntVar(&o.BodySize, "body-size", 1500, "approximate body size in `BYTES`")
	fs.Float64Var(&o.Rate, "rate", 0, "`REQUESTS` per second in total (0: as fast as answered)")
	fs.BoolVar(&o.Baseline, "baseline", true, "also measure the baseline handler")
	fs.DurationVar(&o.TTL, "ttl", 168*time.Hour, "dedupe `TTL` of the benchmark provider")
	fs.DurationVar(&o.StreamAge, "stream-max-age", 0, "the stream's max_age `DURATION` (0: keep everything; the exactly-once check needs it)")
	fs.DurationVar(&o.DupWindow, "dup-window", 2*time.Minute, "the stream's duplicate window `DURATION` (at most -ttl)")
	fs.StringVar(&o.Sync, "sync", "full", "storage.synchronous `MODE`: full or normal")
	fs.IntVar(&o.GOMAXPROCS, "gomaxprocs", 0, "GOMAXPROCS `N` of the servers (0: their own choice)")
	fs.StringVar(&o.CPUSet, "cpuset", "", "pin the servers to the `CPUS` (taskset -c), e.g. 0 for one core")
	fs.StringVar(&o.MemLimit, "memlimit", "", "GOMEMLIMIT `SIZE` of the servers, e.g. 192MiB (empty: none)")
	fs.IntVar(&o.Samples, "samples", 0, "print the gateway's memory and data size `N` times")
	fs.BoolVar(&o.KeepDir, "keep", false, "keep the gateway's data directory")
	fs.StringVar(&o.URL, "gateway", "", "target a running gateway at this base `URL` (with -config and -provider)")
	fs.StringVar(&o.Config, "config", "", "config `FILE` of the running gateway")
	fs.StringVar(&o.Provider, "provider", "", "provider `NAME` of the running gateway to send as")
	fs.StringVar(&o.LogLevel, "log-level", "info", "the gateway's log `LEVEL` (info logs a line per request)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write the gateway's CPU profile to `FILE`")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write the gateway's heap profile to `FILE` when it stops")
	return func(ctx context.Context, stdout, _ io.Writer) error {
		if (o.URL != "") != (o.Config != "" && o.Provider != "") {
			return fmt.Errorf("%w: -gateway goes with -config and -provider", errUsage)
		}
		rep, err := bench.Run(ctx, o, stdout)
		if err != nil {
			return err
		}
		return rep.Check
	}
}

func defineBaseline(fs *flag.FlagSet) runFunc {
	listen := fs.String("listen", "127.0.0.1:0", "`ADDRESS` to listen on")
	return func(ctx context.Context, _, stderr io.Writer) error {
		return bench.ServeBaseline(ctx, *listen, stderr)
	}
}
