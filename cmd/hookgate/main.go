// Command hookgate is a webhook receiver gateway: it verifies provider
// signatures, drops duplicate and stale events, and forwards the rest to
// NATS. Each command is in the file of its name (serve.go, send.go,
// tail.go, ...) with its flags and what only it needs, and calls the
// gateway package for the rest; main.go holds the command table, the usage
// made from it and the exit codes, and dispatches.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = ""

func main() {
	args := os.Args[1:]
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals(args)...)
	defer stop()
	if reloads(args) {
		// SIGHUP stays handled for serve's whole life (it reloads on it
		// while serving): its default action would kill a gateway that
		// is still starting or draining.
		signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP)
	}
	os.Exit(Run(ctx, args, os.Stdout, os.Stderr))
}

// reloads reports whether the command run with args is serve, which
// reloads its config on SIGHUP.
func reloads(args []string) bool { return len(args) > 0 && args[0] == "serve" }

// stopSignals are the signals that stop the command run with args: SIGINT
// and SIGTERM, and SIGHUP but for serve, so that tail, deliver or bench
// end with the terminal or SSH session they run in.
// A SIGHUP the process was started ignoring (nohup) stays ignored.
func stopSignals(args []string) []os.Signal {
	if reloads(args) || signal.Ignored(syscall.SIGHUP) {
		return []os.Signal{os.Interrupt, syscall.SIGTERM}
	}
	return []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}
}

// errUsage marks errors that exit with status 2 and print the usage.
var errUsage = errors.New("usage")

// exitError is an outcome with its own exit status and message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

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
	// hidden commands are not listed (bench-baseline and bench-nats-node
	// are run by bench).
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
	{name: "routes", synopsis: "-request FILE", summary: "show which routes match a captured request, and the messages and envelope it would be forwarded as", define: defineRoutes},
	{name: "asyncapi", summary: "print an AsyncAPI 3.0 document of what the configured gateway publishes on NATS: subjects, headers and payloads", define: defineAsyncAPI},
	{name: "tail", args: "SUBJECT", summary: "print messages arriving on a NATS subject", define: defineTail},
	{name: "deliver", synopsis: "-config FILE", summary: "POST the stream's events to HTTP services: the config's deliveries, or -subject to -to URL", define: defineDeliver},
	{name: "keygen", synopsis: "-out FILE", summary: "make an Ed25519 key pair for signing bus messages (nats.sign)", define: defineKeygen},
	{name: "events", summary: "list archived events, or show one (-id) with headers and body", define: defineEvents},
	{name: "replay", synopsis: "(-provider NAME | -id ID | -since TIME | -parked | -list | -cancel ID)", summary: "publish archived accepted events again, marked as a replay; send parked rows again; list or cancel replays", define: defineReplay},
	{name: "quarantine", summary: "list requests that failed verification, or print one (-id) as a request file that verify reads", define: defineQuarantine},
	{name: "bench", summary: "load benchmark against the embedded defaults (or a running gateway), with a baseline handler measured in the same run", define: defineBench},
	{name: "bench-baseline", hidden: true, summary: "the baseline server hookgate bench starts", define: defineBaseline},
	{name: "bench-nats-node", hidden: true, summary: "a node of the NATS cluster hookgate bench starts for its cluster setups", define: defineNATSNode},
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

Exit status: 0 on success, 1 on failure, a config that does not load included,
or when nothing is found (verify: the request is invalid), 2 on bad usage, such
as a -provider the config lacks (verify: also an unreadable request or unusable
options).
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
		switch c := lookup(strings.Join(rest, " ")); {
		case c != nil:
			c.help(stdout)
		case len(rest) > 0:
			err = fmt.Errorf("%w: unknown command %q", errUsage, strings.Join(rest, " "))
		default:
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
