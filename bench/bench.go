// Package bench is hookgate's load benchmark: it sends signed events to a
// gateway and, in the same run, the same requests to a trivial handler that
// reads the body and answers 200 (the baseline), and reports the two side by
// side. A figure is only printed for a run in which every accepted event is
// on the stream exactly once.
//
// By default it starts both servers as child processes of the hookgate
// binary (`serve` on a temp data directory with an embedded NATS server, and
// `bench-baseline`), so that their CPU time and memory are measured apart
// from the load generator's.
package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a run.
type Options struct {
	Binary      string        // the hookgate binary for the child processes (default: this executable)
	Type        string        // provider type of the events (default stripe)
	Events      int           // distinct events (default 20,000)
	Concurrency int           // client connections (default 64)
	Duplicates  float64       // share of extra sends that repeat an event (default 0.05)
	OutOfOrder  float64       // share of events sent after a newer version of their entity (default 0.05)
	BodySize    int           // approximate body size in bytes (default 1,500)
	Rate        float64       // requests per second in total; 0: as fast as the servers answer
	Baseline    bool          // also measure the baseline
	TTL         time.Duration // dedupe TTL of the gateway's provider (default 168h)
	StreamAge   time.Duration // the stream's max_age (0: no limit; the check needs every message kept)
	DupWindow   time.Duration // the stream's duplicate window (default 2m)
	Sync        string        // storage.synchronous (default full)
	GOMAXPROCS  int           // for the child processes; 0: their own choice
	CPUSet      string        // pin the child processes to these CPUs (taskset -c), e.g. "0" for one core
	MemLimit    string        // GOMEMLIMIT of the child processes, e.g. "192MiB"; empty: none
	KeepDir     bool          // keep the gateway's data directory
	LogLevel    string        // the gateway's -log-level (default info: a line per request, as in production)
	CPUProfile  string        // write the gateway's CPU profile here
	MemProfile  string        // write the gateway's heap profile here at its shutdown
	Samples     int           // resource samples printed during the gateway run (0: none)

	// URL, when set, targets a running gateway instead: its base URL, the
	// provider's config (for the secret and path) and NATS (for the
	// exactly-once check) come from Config and Provider.
	URL      string
	Config   string
	Provider string
}

func (o *Options) defaults() {
	if o.Type == "" {
		o.Type = "stripe"
	}
	if o.Events <= 0 {
		o.Events = 20000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.BodySize <= 0 {
		o.BodySize = 1500
	}
	if o.TTL <= 0 {
		o.TTL = 168 * time.Hour
	}
	if o.Sync == "" {
		o.Sync = "full"
	}
	if o.DupWindow <= 0 {
		o.DupWindow = 2 * time.Minute
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
}

// child is a server process started by the benchmark.
type child struct {
	cmd     *exec.Cmd
	addrs   map[string]string // from its "listening" log line
	logs    *tail
	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // set before exited is closed
}

// tail keeps a process's last log lines for error messages.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (t *tail) add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, s)
	if len(t.lines) > 20 {
		t.lines = t.lines[1:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

var listening = regexp.MustCompile(`msg="?[a-z ]*listening"? (.*)`)

// startChild starts bin with args and waits for its "listening" line,
// whose key=value pairs it returns; with wait false it returns at once.
func startChild(ctx context.Context, o *Options, wait bool, args ...string) (*child, error) {
	bin, gomaxprocs := o.Binary, o.GOMAXPROCS
	cmd := exec.Command(bin, args...)
	if o.CPUSet != "" {
		cmd = exec.Command("taskset", append([]string{"-c", o.CPUSet, bin}, args...)...)
	}
	cmd.Env = os.Environ()
	if gomaxprocs > 0 {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(gomaxprocs))
	}
	if o.MemLimit != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+o.MemLimit)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start %s: %w", bin, err)
	}
	c := &child{cmd: cmd, logs: &tail{}, exited: make(chan struct{})}
	ready := make(chan map[string]string, 1)
	go func() {
		// The only Wait: it returns once the log pipe is drained.
		defer close(c.exited)
		sc := bufio.NewScanner(stderr)
		sent := !wait
		for sc.Scan() {
			line := sc.Text()
			c.logs.add(line)
			if m := listening.FindStringSubmatch(line); m != nil && !sent {
				kv := map[string]string{}
				for _, f := range strings.Fields(m[1]) {
					if k, v, ok := strings.Cut(f, "="); ok {
						kv[k] = v
					}
				}
				ready <- kv
				sent = true
			}
		}
		if !sent {
			close(ready)
		}
		c.waitErr = cmd.Wait()
	}()
	if !wait {
		return c, nil
	}
	select {
	case kv, ok := <-ready:
		if !ok {
			<-c.exited
			return nil, fmt.Errorf("bench: %s exited before listening:\n%s", bin, c.logs)
		}
		c.addrs = kv
		return c, nil
	case <-time.After(60 * time.Second):
		c.stop()
		return nil, fmt.Errorf("bench: %s did not start listening:\n%s", bin, c.logs)
	case <-ctx.Done():
		c.stop()
		return nil, ctx.Err()
	}
}

// stop sends SIGTERM and waits; it kills the process if it does not exit.
func (c *child) stop() error {
	select {
	case <-c.exited:
		return c.waitErr
	default:
	}
	c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.exited:
		return c.waitErr
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
		return errors.New("bench: child did not stop within 30s; killed")
	}
}

// procStat reads a process's CPU time and memory from /proc.
type procStat struct {
	CPU     time.Duration // user + system
	RSS     int64         // resident set, bytes
	PeakRSS int64         // high-water mark, bytes
}

func readProc(pid int) (procStat, error) {
	var ps procStat
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ps, err
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	if len(f) < 13 {
		return ps, errors.New("bench: short /proc stat")
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	ps.CPU = time.Duration(utime+stime) * time.Second / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ps, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			ps.RSS = kb << 10
		case "VmHWM":
			ps.PeakRSS = kb << 10
		}
	}
	return ps, nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux.
const clockTicks = 100

// dirSize is the size of the files directly in dir.
func dirSize(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && !e.IsDir() {
			n += info.Size()
		}
	}
	return n
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// writeConfig writes the gateway config of a self-contained run.
func writeConfig(dir string, o *Options, secret string, ports [3]int) (string, error) {
	cfg := fmt.Sprintf(`listen: 127.0.0.1:%d
admin: {listen: "127.0.0.1:%d"}
nats: {port: %d, max_age: %s, duplicate_window: %s}
data_dir: %s
storage: {synchronous: %s, sweep_interval: 10s}
http: {max_in_flight: 100000}
providers:
  - name: bench
    type: %s
    secrets: [%q]
    ordering: {key: %s, version: %s}
    dedupe: {ttl: %s}
`, ports[0], ports[1], ports[2], o.StreamAge, o.DupWindow, filepath.Join(dir, "data"), o.Sync, o.Type, secret, orderingKey, orderingVersion, o.TTL)
	path := filepath.Join(dir, "config.yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

// The JSON fields the generated events carry their entity and version in.
const (
	orderingKey     = "data.object.id"
	orderingVersion = "data.object.version"
)

// freePorts picks n free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitReady polls url until it answers 200.
func waitReady(ctx context.Context, url string, c *child) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.exited:
			return fmt.Errorf("bench: the gateway exited:\n%s", c.logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("bench: the gateway did not become ready:\n%s", c.logs)
}
