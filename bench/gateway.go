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

	"github.com/hookgate/hookgate/config"
)

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
// With Options.KeepDir and a logPath, the child's log is also written
// there.
func startChild(ctx context.Context, o *Options, logPath string, wait bool, args ...string) (*child, error) {
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
	var logFile *os.File
	if o.KeepDir && logPath != "" {
		if logFile, err = os.Create(logPath); err != nil {
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		if logFile != nil {
			logFile.Close()
		}
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
			if logFile != nil {
				fmt.Fprintln(logFile, line)
			}
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
		if logFile != nil {
			logFile.Close()
		}
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

// target is a setup a run measures: its gateway children on a temp
// directory (with a cluster setup's NATS nodes), or a running gateway
// (Options.URL).
type target struct {
	spec     setupSpec
	gateways []*gatewayProc // empty for a running gateway
	nodes    []*child       // a cluster setup's NATS nodes
	bases    []string       // the base URLs of the gateways' webhook listeners, in the order the load takes them
	natsURL  string
	cfg      *config.Config // where the check reads, and as whom (the first gateway's)
	provider *config.Provider
	dir      string // the setup's temp directory; empty for a running gateway
	tempDir  string // removed by close; empty when kept (Options.KeepDir)
}

// gatewayProc is a gateway child of a setup.
type gatewayProc struct {
	child    *child
	adminURL string
	dataDir  string
}

// startSetup starts a setup on a fresh temp directory: a cluster setup's
// NATS nodes first, then its gateways one after the other, each ready
// before the next starts (the first creates the stream). On error it
// leaves no process behind, and no directory unless kept.
func startSetup(ctx context.Context, o *Options, spec setupSpec, secret string) (_ *target, err error) {
	dir, err := os.MkdirTemp("", "hookgate-bench-"+spec.name+"-")
	if err != nil {
		return nil, err
	}
	t := &target{spec: spec, dir: dir}
	if !o.KeepDir {
		t.tempDir = dir
	}
	defer func() {
		if err != nil {
			t.close()
		}
	}()
	natsURL := ""
	if spec.cluster {
		if t.nodes, natsURL, err = startCluster(ctx, o, dir); err != nil {
			return nil, err
		}
	}
	for i := range spec.gateways {
		gdir := dir
		if spec.gateways > 1 {
			gdir = filepath.Join(dir, fmt.Sprintf("gateway%d", i+1))
			if err = os.Mkdir(gdir, 0o700); err != nil {
				return nil, err
			}
		}
		if err = t.startGateway(ctx, o, gdir, natsURL, secret); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// startGateway writes a gateway config with secret on fresh ports and a
// data directory under dir, starts `hookgate serve` on it and waits until
// it is ready. natsURL is the cluster's; empty, the gateway runs the
// embedded server.
func (t *target) startGateway(ctx context.Context, o *Options, dir, natsURL, secret string) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	cfgPath, err := writeConfig(dir, o, t.spec, natsURL, secret, [3]int(ports))
	if err != nil {
		return err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	g := &gatewayProc{dataDir: filepath.Join(dir, "data"), adminURL: fmt.Sprintf("http://127.0.0.1:%d", ports[1])}
	args := []string{"serve", "-config", cfgPath, "-log-level", o.LogLevel}
	if o.CPUProfile != "" {
		args = append(args, "-cpuprofile", o.CPUProfile)
	}
	if o.MemProfile != "" {
		args = append(args, "-memprofile", o.MemProfile)
	}
	if g.child, err = startChild(ctx, o, filepath.Join(dir, "gateway.log"), false, args...); err != nil {
		return err
	}
	t.gateways = append(t.gateways, g)
	t.bases = append(t.bases, fmt.Sprintf("http://127.0.0.1:%d", ports[0]))
	if t.cfg == nil {
		t.cfg = cfg
		t.provider, _ = cfg.Provider("bench")
		t.natsURL = cfg.NATSClientURL()
	}
	return waitReady(ctx, g.adminURL+"/readyz", g.child)
}

// runningGateway is the gateway at o.URL, as its config o.Config describes
// it, measured through the provider o.Provider.
func runningGateway(o *Options) (*target, error) {
	cfg, err := config.Load(o.Config)
	if err != nil {
		return nil, err
	}
	pc, err := cfg.Provider(o.Provider)
	if err != nil {
		return nil, err
	}
	return &target{spec: setupSpec{name: "hookgate", backend: cfg.Storage.Backend, gateways: 1},
		bases: []string{strings.TrimSuffix(o.URL, "/")}, natsURL: cfg.NATSClientURL(), cfg: cfg, provider: pc}, nil
}

// close stops the gateway children, then the NATS nodes, then removes the
// temp directory unless it is kept.
func (t *target) close() {
	stopChildren(t.children())
	stopChildren(t.nodes)
	if t.tempDir != "" {
		os.RemoveAll(t.tempDir)
	}
}

// children are the gateway processes.
func (t *target) children() []*child {
	cs := make([]*child, len(t.gateways))
	for i, g := range t.gateways {
		cs[i] = g.child
	}
	return cs
}

// writeConfig writes the config of a gateway of a self-contained setup in
// dir. natsURL is a cluster setup's NATS; empty, the embedded server
// listens on the third port. The gateway runs with the defaults but for
// what the run asks (backend, synchronous, the stream's limits, the
// provider's TTL) and one thing: every request comes from one address,
// which may hold a quarter of http.max_in_flight's work slots (256 of the
// default 1,024); with more connections than that, max_in_flight is four
// times the connections, so that the gateway does not answer 503 to the
// client's own concurrency. Likewise past a quarter of http.max_conns
// (1,024 of 4,096) the address may hold all of max_conns.
func writeConfig(dir string, o *Options, spec setupSpec, natsURL, secret string, ports [3]int) (string, error) {
	nats := fmt.Sprintf("port: %d", ports[2])
	if natsURL != "" {
		nats = fmt.Sprintf("url: %q, replicas: %d, create_stream: true", natsURL, clusterNodes)
	}
	var httpSettings []string
	if o.Concurrency > config.DefaultMaxInFlight/4 {
		httpSettings = append(httpSettings, fmt.Sprintf("max_in_flight: %d", 4*o.Concurrency))
	}
	if o.Concurrency > config.DefaultMaxConns/4 {
		httpSettings = append(httpSettings, fmt.Sprintf("max_conns_per_client: %d", config.DefaultMaxConns))
	}
	httpCfg := "{" + strings.Join(httpSettings, ", ") + "}"
	cfg := fmt.Sprintf(`listen: 127.0.0.1:%d
admin: {listen: "127.0.0.1:%d"}
nats: {%s, max_age: %s, duplicate_window: %s}
data_dir: %s
storage: {backend: %s, synchronous: %s}
http: %s
providers:
  - name: bench
    type: %s
    secrets: [%q]
    ordering: {key: %s, version: %s}
    dedupe: {ttl: %s}
`, ports[0], ports[1], nats, o.StreamAge, o.DupWindow, filepath.Join(dir, "data"), spec.backend, o.Sync, httpCfg, o.Type, secret, orderingKey, orderingVersion, o.TTL)
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
