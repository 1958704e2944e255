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
	"runtime"
	"runtime/pprof"
	"syscall"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/gateway"
)

// Main is the serve command: ParseFlags, Run, Close. Tests drive it with a
// config on port 0 and a temp data_dir.
type Main struct {
	ConfigPath string
	CPUProfile string
	MemProfile string
	Config     *config.Config
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
		cfg, err := config.Load(m.ConfigPath)
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
			m.Close() // what Run started (a CPU profile)
			if ctx.Err() != nil {
				// SIGINT or SIGTERM while starting: a stop, as after.
				fmt.Fprintf(stderr, "hookgate: stopped while starting (%v)\n", err)
				return nil
			}
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
		LoadConfig: func() (*config.Config, error) { return config.Load(m.ConfigPath) },
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
	// Each step of the shutdown has http.shutdown_timeout (see
	// gateway.Server.Close): no budget of ours on top.
	return m.Server.Close(context.Background())
}
