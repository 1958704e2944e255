package testkit

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is a three-node JetStream cluster in process, whose nodes can be
// stopped and started again on the same ports and store.
type Cluster struct {
	tb      testing.TB
	opts    []*server.Options
	Servers []*server.Server // by node; a stopped node's stays, not running
}

// StartCluster starts three nodes routed to each other, named n1 to n3 in
// cluster name, and waits until JetStream has a meta leader that every node
// follows. The test's cleanup stops them.
func StartCluster(tb testing.TB, name string) *Cluster {
	tb.Helper()
	ports := FreePorts(tb, 6)
	var routes []string
	for _, p := range ports[3:] {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	c := &Cluster{tb: tb}
	tb.Cleanup(c.stop)
	for i := range 3 {
		c.opts = append(c.opts, &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       ports[i],
			JetStream:  true,
			StoreDir:   tb.TempDir(),
			Cluster:    server.ClusterOpts{Name: name, Host: "127.0.0.1", Port: ports[3+i]},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
			NoSigs:     true,
			NoLog:      true,
		})
		c.Servers = append(c.Servers, nil)
		c.Start(i)
	}
	c.WaitMeta()
	return c
}

// URL is every node's client URL, as nats.url takes them.
func (c *Cluster) URL() string {
	var urls []string
	for _, o := range c.opts {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(urls, ",")
}

// Start starts node i (again) and waits until it takes connections.
func (c *Cluster) Start(i int) {
	c.tb.Helper()
	srv, err := server.NewServer(c.opts[i])
	if err != nil {
		c.tb.Fatal(err)
	}
	srv.Start()
	c.Servers[i] = srv
	if !srv.ReadyForConnections(20 * time.Second) {
		c.tb.Fatalf("node %s not ready", srv.Name())
	}
}

// Stop stops node i.
func (c *Cluster) Stop(i int) {
	c.Servers[i].Shutdown()
	c.Servers[i].WaitForShutdown()
}

// WaitMeta waits until JetStream has a meta leader that every running
// node follows.
func (c *Cluster) WaitMeta() {
	c.tb.Helper()
	WaitFor(c.tb, 60*time.Second, Says("no JetStream meta leader that every node follows"), func() bool {
		leader := false
		for _, srv := range c.Servers {
			if !srv.Running() {
				continue
			}
			leader = leader || srv.JetStreamIsLeader()
			if !srv.JetStreamIsCurrent() {
				return false
			}
		}
		return leader
	})
}

// StreamLeader is the index of the running node that leads stream name
// (for an R1 stream, the one that holds it), once one does.
func (c *Cluster) StreamLeader(name string) int {
	c.tb.Helper()
	node := -1
	WaitFor(c.tb, 30*time.Second, Says("no leader of stream "+name), func() bool {
		for i, srv := range c.Servers {
			if srv.Running() && srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, name) {
				node = i
				return true
			}
		}
		return false
	})
	return node
}

func (c *Cluster) stop() {
	for _, srv := range c.Servers {
		if srv != nil {
			srv.Shutdown()
		}
	}
	for _, srv := range c.Servers {
		if srv != nil {
			srv.WaitForShutdown()
		}
	}
}
