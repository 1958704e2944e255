package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hookgate/hookgate/bench"
	"github.com/hookgate/hookgate/config"
)

func defineBench(fs *flag.FlagSet) runFunc {
	var o bench.Options
	fs.IntVar(&o.Events, "events", 60000, "`N` distinct events to send over the rounds (the latency run sends a round's share more)")
	fs.IntVar(&o.Rounds, "rounds", 3, "`N` rounds, each measuring the baseline and each setup, saturated, in turn (the baseline first in odd rounds, last in even ones)")
	fs.BoolVar(&o.Latency, "latency", true, "after the rounds, a latency run per setup: open loop at half its median rate (or -rate)")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "`N` client connections")
	fs.StringVar(&o.Type, "type", "stripe", "provider `TYPE` of the events")
	fs.Float64Var(&o.Duplicates, "duplicates", 0.05, "`SHARE` of extra sends repeating an event")
	fs.Float64Var(&o.OutOfOrder, "out-of-order", 0.05, "`SHARE` of events sent after a newer version")
	fs.IntVar(&o.BodySize, "body-size", 1500, "approximate body size in `BYTES`")
	fs.Float64Var(&o.Rate, "rate", 0, "`REQUESTS` per second of the latency run (0: half of each setup's median saturated rate)")
	fs.BoolVar(&o.Baseline, "baseline", true, "also measure the baseline handler")
	fs.DurationVar(&o.TTL, "ttl", 168*time.Hour, "dedupe `TTL` of the benchmark provider")
	fs.DurationVar(&o.StreamAge, "stream-max-age", 0, "the stream's max_age `DURATION` (0: keep everything; the exactly-once check needs it)")
	fs.DurationVar(&o.DupWindow, "dup-window", 2*time.Minute, "the stream's duplicate window `DURATION` (at most -ttl)")
	fs.StringVar(&o.Sync, "sync", "full", "storage.synchronous `MODE`: full or normal")
	fs.IntVar(&o.GOMAXPROCS, "gomaxprocs", 0, "GOMAXPROCS `N` of the servers (0: their own choice)")
	fs.StringVar(&o.CPUSet, "cpuset", "", "pin the servers to the `CPUS` (taskset -c), e.g. 0 for one core")
	fs.StringVar(&o.MemLimit, "memlimit", "", "GOMEMLIMIT `SIZE` of the servers, e.g. 192MiB (empty: none)")
	fs.IntVar(&o.Samples, "samples", 0, "print the gateways' memory and data size `N` times per setup")
	fs.BoolVar(&o.KeepDir, "keep", false, "keep each setup's directory (config, data, and the child processes' logs)")
	fs.StringVar(&o.URL, "gateway", "", "target a running gateway at this base `URL` (with -config and -provider)")
	fs.StringVar(&o.Config, "config", "", "config `FILE` of the running gateway")
	fs.StringVar(&o.Provider, "provider", "", "provider `NAME` of the running gateway to send as")
	fs.StringVar(&o.LogLevel, "log-level", "info", "the gateway's log `LEVEL` (debug logs a line per decided event; info only rejections, sampled)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write the gateway's CPU profile to `FILE` (one gateway in all)")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write the gateway's heap profile to `FILE` when it stops (one gateway in all)")
	setups := fs.String("setups", "sqlite", "the gateway `SETUPS` to measure beside the baseline in each round, comma-separated: "+
		"sqlite (embedded NATS, SQLite backend), jetstream (embedded NATS, storage.backend jetstream), "+
		"cluster-N (N gateways with storage.backend jetstream on a three-node NATS cluster, R3 stream, requests round-robin)")
	return func(ctx context.Context, stdout, _ io.Writer) error {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if o.URL != "" {
			if o.Config == "" || o.Provider == "" {
				return fmt.Errorf("%w: -gateway goes with -config and -provider", errUsage)
			}
			for _, name := range startedOnly {
				if set[name] {
					return fmt.Errorf("%w: -%s sets up the servers bench starts; it does not go with -gateway, whose gateway bench does not start", errUsage, name)
				}
			}
			cfg, err := config.Load(o.Config)
			if err != nil {
				return err
			}
			if _, err := cfg.Provider(o.Provider); err != nil { // bad usage, as for send, sign and verify
				return &exitError{2, "hookgate: " + err.Error()}
			}
		} else {
			for _, name := range []string{"config", "provider"} {
				if set[name] {
					return fmt.Errorf("%w: -%s goes with -gateway (a running gateway); without it bench starts its own", errUsage, name)
				}
			}
			o.Setups = strings.Split(*setups, ",")
		}
		if o.Rounds < 1 || o.Events < 1 || o.Rate < 0 {
			return fmt.Errorf("%w: -rounds and -events must be at least 1, -rate not negative", errUsage)
		}
		// A stdout that closes (bench | head) stops the run as a signal
		// does, so that bench stops its servers and removes their
		// directories: without this the write's SIGPIPE would kill bench
		// at once and leave them behind.
		pipe := make(chan os.Signal, 1)
		signal.Notify(pipe, syscall.SIGPIPE) // a broken pipe is then a write error
		defer signal.Stop(pipe)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		out := &stopWriter{w: stdout, stop: cancel}
		rep, err := bench.Run(ctx, o, out)
		if werr := out.failed(); werr != nil {
			return fmt.Errorf("bench: stopped: its output failed: %w", werr)
		}
		if err != nil {
			return err
		}
		return rep.Check()
	}
}

// startedOnly are the bench flags that set up the servers bench starts,
// refused with -gateway: the gateway measured is not one of them (and
// setting only the baseline's would skew the ratio).
var startedOnly = []string{"setups", "type", "sync", "ttl", "stream-max-age", "dup-window", "log-level",
	"cpuprofile", "memprofile", "samples", "keep", "gomaxprocs", "memlimit", "cpuset"}

// stopWriter writes to w until a write fails, and then calls stop and
// fails every later write.
type stopWriter struct {
	mu   sync.Mutex
	w    io.Writer
	stop func()
	err  error
}

func (s *stopWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	if err != nil {
		s.err = err
		s.stop()
	}
	return n, err
}

// failed is the error of the write that failed, if one did.
func (s *stopWriter) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func defineNATSNode(fs *flag.FlagSet) runFunc {
	var o bench.NodeOptions
	fs.StringVar(&o.Name, "name", "", "server `NAME`, unique in the cluster")
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:4222", "client `ADDRESS`")
	fs.StringVar(&o.Cluster, "cluster", "127.0.0.1:6222", "cluster (route) `ADDRESS`")
	fs.StringVar(&o.ClusterName, "cluster-name", "hookgate-bench", "cluster `NAME`")
	fs.StringVar(&o.Routes, "routes", "", "every node's route `URLS`, comma-separated")
	fs.StringVar(&o.StoreDir, "store", "", "JetStream store `DIR`")
	fs.IntVar(&o.MaxBatches, "max-batches", 0, "max_batch_inflight_per_stream `N` (0: nats-server's default)")
	return func(ctx context.Context, _, stderr io.Writer) error {
		return bench.ServeNATSNode(ctx, o, stderr)
	}
}

func defineBaseline(fs *flag.FlagSet) runFunc {
	listen := fs.String("listen", "127.0.0.1:0", "`ADDRESS` to listen on")
	return func(ctx context.Context, _, stderr io.Writer) error {
		return bench.ServeBaseline(ctx, *listen, stderr)
	}
}
