package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
)

// NodeOptions configure one node of a cluster setup's NATS cluster
// (ServeNATSNode).
type NodeOptions struct {
	Name        string // server_name, unique in the cluster
	Listen      string // client address, host:port
	ClusterName string
	Cluster     string // cluster (route) address, host:port
	Routes      string // every node's route URL, comma-separated
	StoreDir    string // JetStream's files
	// MaxBatches is max_batch_inflight_per_stream (0: nats-server's
	// default, 50); the server-wide limit is raised to it when higher.
	MaxBatches int
}

// ServeNATSNode runs one clustered nats-server node with JetStream (the
// nats-server library, as the embedded server): once it accepts clients
// and its JetStream meta group has a leader it follows, it logs
// "nats node listening" with its addresses. Its warnings and errors go to
// log. It stops when ctx ends.
func ServeNATSNode(ctx context.Context, o NodeOptions, log io.Writer) error {
	lg := slog.New(slog.NewTextHandler(log, nil))
	host, port, err := splitHostPort(o.Listen)
	if err != nil {
		return fmt.Errorf("bench-nats-node: -listen: %w", err)
	}
	chost, cport, err := splitHostPort(o.Cluster)
	if err != nil {
		return fmt.Errorf("bench-nats-node: -cluster: %w", err)
	}
	if o.StoreDir == "" || o.Name == "" {
		return errors.New("bench-nats-node: -store and -name are required")
	}
	opts := &server.Options{
		ServerName: o.Name,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		MaxPayload: forward.DefaultMaxPayload, // as the embedded server's smallest
		Cluster:    server.ClusterOpts{Name: o.ClusterName, Host: chost, Port: cport},
		Routes:     server.RoutesFromStr(o.Routes),
		NoSigs:     true,
	}
	forward.LimitAtomicBatches(opts, o.MaxBatches)
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("bench-nats-node: %w", err)
	}
	srv.SetLoggerV2(nodeLogger{lg}, false, false, false)
	srv.Start()
	defer func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	}()
	if !srv.ReadyForConnections(30 * time.Second) {
		return errors.New("bench-nats-node: not accepting connections after 30s")
	}
	for !srv.JetStreamIsCurrent() {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(20 * time.Millisecond):
		}
	}
	lg.Info("nats node listening", "addr", srv.Addr().String(), "cluster", srv.ClusterAddr().String(), "name", o.Name)
	<-ctx.Done()
	return nil
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, err
	}
	return host, port, nil
}

// nodeLogger passes the server's warnings and errors to slog.
type nodeLogger struct{ log *slog.Logger }

func (l nodeLogger) Noticef(string, ...any) {}
func (l nodeLogger) Debugf(string, ...any)  {}
func (l nodeLogger) Tracef(string, ...any)  {}
func (l nodeLogger) Warnf(format string, v ...any) {
	l.log.Warn(fmt.Sprintf(format, v...), "component", "nats-server")
}
func (l nodeLogger) Errorf(format string, v ...any) {
	l.log.Error(fmt.Sprintf(format, v...), "component", "nats-server")
}
func (l nodeLogger) Fatalf(format string, v ...any) {
	l.log.Error(fmt.Sprintf(format, v...), "component", "nats-server", "fatal", true)
}

// startCluster starts a cluster setup's NATS nodes as child processes
// (`bench-nats-node`) on fresh loopback ports, with their files under dir,
// and returns once JetStream answers on them: the nodes follow a meta
// leader and `$JS.API.INFO` is answered. On error it leaves no node
// running. The nodes' client URLs, comma-separated, are what nats.url
// takes.
func startCluster(ctx context.Context, o *Options, dir string) (nodes []*child, url string, err error) {
	ports, err := freePorts(2 * clusterNodes)
	if err != nil {
		return nil, "", err
	}
	var routes, urls []string
	for i := range clusterNodes {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[clusterNodes+i]))
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	// A node logs that it listens only once the others are up and a meta
	// leader is elected: start all before waiting for any.
	nodes = make([]*child, clusterNodes)
	errs := make([]error, clusterNodes)
	var wg sync.WaitGroup
	for i := range clusterNodes {
		wg.Go(func() {
			nodes[i], errs[i] = startChild(ctx, o, filepath.Join(dir, fmt.Sprintf("nats-n%d.log", i+1)), true, "bench-nats-node",
				"-name", fmt.Sprintf("n%d", i+1),
				"-listen", fmt.Sprintf("127.0.0.1:%d", ports[i]),
				"-cluster", fmt.Sprintf("127.0.0.1:%d", ports[clusterNodes+i]),
				"-cluster-name", "hookgate-bench",
				"-routes", strings.Join(routes, ","),
				"-store", filepath.Join(dir, fmt.Sprintf("nats-n%d", i+1)),
				"-max-batches", strconv.Itoa(clusterMaxBatches(o)))
		})
	}
	wg.Wait()
	stopAll := func() {
		stopChildren(nodes)
		nodes = nil
	}
	if err := errors.Join(errs...); err != nil {
		stopAll()
		return nil, "", err
	}
	url = strings.Join(urls, ",")
	if err := waitJetStream(ctx, url); err != nil {
		stopAll()
		return nil, "", err
	}
	return nodes, url, nil
}

// clusterMaxBatches is the cluster nodes' max_batch_inflight_per_stream:
// at least one open batch per client connection, as the embedded server
// allows one per request in a work slot, so that the stream's limit does
// not turn decisions back for a retry before the load itself does.
// nats-server's default is 50.
func clusterMaxBatches(o *Options) int { return max(1000, o.Concurrency) }

// stopChildren stops the started ones of cs, all at once.
func stopChildren(cs []*child) {
	var wg sync.WaitGroup
	for _, c := range cs {
		if c != nil {
			wg.Go(func() { c.stop() })
		}
	}
	wg.Wait()
}

// waitJetStream polls `$JS.API.INFO` (account info) on url until it is
// answered, which on a cluster takes a meta leader.
func waitJetStream(ctx context.Context, url string) error {
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
	if err != nil {
		return fmt.Errorf("bench: cluster: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := js.AccountInfo(actx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: cluster: JetStream did not answer within 60s: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
