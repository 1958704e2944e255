package main

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

// The cluster tests run two gateways with storage.backend jetstream on a
// three-node NATS cluster (nats-server as a library, on loopback ports),
// with the stream at three replicas, behind a test balancer that spreads
// each sender's deliveries over both. A sender sends an event again until
// a gateway answers 2xx, as providers do. The promise is one instance's:
// every 2xx event is on the stream exactly once, nothing stale is
// forwarded, and an in-order sender's versions arrive in order, through
// the loss of the stream leader or of a gateway.

// clusterConfig writes a config for a gateway of the cluster tests.
func clusterConfig(tb testing.TB, natsURL, duplicateWindow string) string {
	tb.Helper()
	return gatewayConfig(tb,
		"storage: {backend: jetstream}",
		fmt.Sprintf("nats: {url: %q, create_stream: true, replicas: 3, duplicate_window: %s}", natsURL, duplicateWindow),
		"http: {shutdown_timeout: 2s}",
		shopProvider("created"),
		"    dedupe: {ttl: 1h}")
}

// balancer spreads deliveries over gateways and skips those marked down,
// as a load balancer's health check would.
type balancer struct {
	addrs []string
	down  []atomic.Bool
}

func newBalancer(addrs ...string) *balancer {
	return &balancer{addrs: addrs, down: make([]atomic.Bool, len(addrs))}
}

// base returns the URL of gateway i, or of the next one up.
func (b *balancer) base(i int) func() string {
	return func() string {
		for k := range len(b.addrs) {
			j := (i + k) % len(b.addrs)
			if !b.down[j].Load() {
				return "http://" + b.addrs[j]
			}
		}
		return "http://" + b.addrs[i%len(b.addrs)]
	}
}

// answered reports whether an outcome is a 2xx answer.
func answered(o string) bool { return o == outAccepted || o == outDuplicate || o == outStale }

// deliverUntil sends e to gateway first, then to the next one and so on,
// until one answers 2xx or 60 s have passed; it returns the last outcome.
// retries, when not nil, counts the answers that were not 2xx.
func deliverUntil(client *http.Client, lb *balancer, first int, e loadEvent, retries *atomic.Int64) string {
	deadline := time.Now().Add(60 * time.Second)
	for i := first; ; i++ {
		o := postEvent(client, lb.base(i), e)
		if answered(o) || time.Now().After(deadline) {
			return o
		}
		if retries != nil {
			retries.Add(1)
		}
		time.Sleep(50 * time.Millisecond) // a provider's retry delay
	}
}

// inOrderLoad is entities × versions events, each entity's versions sent
// one after the other by one sender (the next only after a 2xx for the
// previous), each to the other gateway than the one before.
type inOrderLoad struct {
	entities, versions int
	outcomes           [][]string // by entity, then version-1
	progress           atomic.Int64
	retries            atomic.Int64 // answers that were not 2xx
}

func (l *inOrderLoad) event(ent, v int) loadEvent {
	return loadEvent{id: fmt.Sprintf("evt_%d_%d", ent, v), entity: fmt.Sprintf("ent_%d", ent), version: int64(v)}
}

// run sends the load from conc senders; it returns when every event was
// answered 2xx or given up on.
func (l *inOrderLoad) run(lb *balancer, conc int) {
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	defer client.CloseIdleConnections()
	l.outcomes = make([][]string, l.entities)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for {
				ent := int(next.Add(1)) - 1
				if ent >= l.entities {
					return
				}
				out := make([]string, l.versions)
				for v := 1; v <= l.versions; v++ {
					out[v-1] = deliverUntil(client, lb, ent+v, l.event(ent, v), &l.retries)
					l.progress.Add(1)
					if !answered(out[v-1]) {
						break // an in-order sender stops at an event it could not deliver
					}
				}
				l.outcomes[ent] = out
			}
		})
	}
	wg.Wait()
}

// check asserts that every event was answered 2xx, never stale (an
// in-order sender sends nothing older than what it sent), and that each
// entity's versions are on the stream exactly once, in order.
func (l *inOrderLoad) check(tb testing.TB, msgs []streamMsg) {
	tb.Helper()
	counts := map[string]int{}
	for ent, out := range l.outcomes {
		for v, o := range out {
			counts[o]++
			if o != outAccepted && o != outDuplicate {
				tb.Errorf("%s version %d: %q; want accepted (or duplicate, the retry of a timed-out attempt)", l.event(ent, 0).entity, v+1, o)
			}
		}
	}
	got := map[string][]int64{}
	for _, m := range msgs {
		got[m.entity] = append(got[m.entity], m.version)
	}
	want := make([]int64, l.versions)
	for v := range want {
		want[v] = int64(v + 1)
	}
	inverted := 0
	for ent := range l.entities {
		name := l.event(ent, 0).entity
		if fmt.Sprint(got[name]) != fmt.Sprint(want) {
			inverted++
			if inverted <= 10 {
				tb.Errorf("%s on the stream: versions %v; want %v", name, got[name], want)
			}
		}
	}
	if len(got) != l.entities {
		tb.Errorf("the stream holds %d entities; want %d", len(got), l.entities)
	}
	tb.Logf("outcomes %v after %d answers that were not 2xx; %d events on the stream; %d entities wrong", counts, l.retries.Load(), len(msgs), inverted)
}

// startPair starts two in-process gateways on the cluster.
func startPair(tb testing.TB, c *testkit.Cluster, duplicateWindow string) (*Main, *Main, *balancer) {
	tb.Helper()
	a := startMain(tb, clusterConfig(tb, c.URL(), duplicateWindow))
	b := startMain(tb, clusterConfig(tb, c.URL(), duplicateWindow))
	return a, b, newBalancer(a.Server.Addr().String(), b.Server.Addr().String())
}

// TestClusterRetryAfterDuplicateWindow: a provider's retry that reaches
// the other gateway after the stream's duplicate window has passed is a
// duplicate, and the event is on the stream once.
func TestClusterRetryAfterDuplicateWindow(t *testing.T) {
	c := testkit.StartCluster(t, "hookgate-test")
	_, _, lb := startPair(t, c, "1s")
	client := &http.Client{Timeout: 15 * time.Second}
	evs := makeEvents(40, 40, 11)
	for _, e := range evs {
		if o := deliverUntil(client, lb, 0, e, nil); o != outAccepted {
			t.Fatalf("first delivery of %s to gateway A: %q; want accepted", e.id, o)
		}
	}
	// The stream forgets a Nats-Msg-Id after its duplicate window (1 s):
	// from then on only the claim stops the retry.
	time.Sleep(1500 * time.Millisecond)
	outcomes := make([]string, len(evs))
	for i, e := range evs {
		outcomes[i] = deliverUntil(client, lb, 1, e, nil)
		if outcomes[i] != outDuplicate {
			t.Errorf("retry of %s to gateway B after the duplicate window: %q; want duplicate", e.id, outcomes[i])
		}
	}
	checkStream(t, evs, outcomes, readStream(t, c.Servers[0].ClientURL()))
	if msgs := readStream(t, c.Servers[0].ClientURL()); len(msgs) != len(evs) {
		t.Errorf("the stream holds %d events; want %d", len(msgs), len(evs))
	}
}

// TestClusterStaleToOtherInstance: for each entity, version 2 goes to one
// gateway and then version 1 to the other: every version 1 is stale and
// none is forwarded; version 3, to either, is accepted.
func TestClusterStaleToOtherInstance(t *testing.T) {
	c := testkit.StartCluster(t, "hookgate-test")
	_, _, lb := startPair(t, c, "2m")
	const entities = 60
	ev := func(ent, v int) loadEvent {
		return loadEvent{id: fmt.Sprintf("evt_%d_%d", ent, v), entity: fmt.Sprintf("ent_%d", ent), version: int64(v)}
	}
	var evs []loadEvent
	var outcomes []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 15 * time.Second}
	for ent := range entities {
		wg.Go(func() {
			var out []string
			for _, v := range []int{2, 1, 3} {
				out = append(out, deliverUntil(client, lb, ent+v, ev(ent, v), nil))
			}
			mu.Lock()
			defer mu.Unlock()
			evs = append(evs, ev(ent, 2), ev(ent, 1), ev(ent, 3))
			outcomes = append(outcomes, out...)
			if out[0] != outAccepted || out[1] != outStale || out[2] != outAccepted {
				t.Errorf("ent_%d: versions 2, 1, 3 got %q; want accepted, stale, accepted", ent, out)
			}
		})
	}
	wg.Wait()
	msgs := readStream(t, c.Servers[0].ClientURL())
	counts := checkStream(t, evs, outcomes, msgs)
	if counts[outStale] != entities || len(msgs) != 2*entities {
		t.Errorf("%d stale answers and %d events on the stream; want %d and %d", counts[outStale], len(msgs), entities, 2*entities)
	}
}

// TestClusterInOrderAlternating: in-order senders whose every next version
// goes to the other gateway: every version on the stream once, in order.
func TestClusterInOrderAlternating(t *testing.T) {
	c := testkit.StartCluster(t, "hookgate-test")
	_, _, lb := startPair(t, c, "2m")
	l := &inOrderLoad{entities: 64, versions: 8}
	l.run(lb, 16)
	l.check(t, readStream(t, c.Servers[0].ClientURL()))
}

// TestClusterLeaderKill stops the node that leads the stream while
// in-order senders alternate between the gateways: the stream goes on on
// the other two nodes, and nothing is lost, doubled or inverted.
func TestClusterLeaderKill(t *testing.T) {
	c := testkit.StartCluster(t, "hookgate-test")
	_, _, lb := startPair(t, c, "2m")
	l := &inOrderLoad{entities: 96, versions: 8}
	done := make(chan struct{})
	go func() { defer close(done); l.run(lb, 16) }()
	waitProgress(t, &l.progress, int64(l.entities*l.versions/3))
	leader := c.StreamLeader("WEBHOOKS")
	t.Logf("killing stream leader %s after %d deliveries", c.Servers[leader].Name(), l.progress.Load())
	c.Stop(leader)
	<-done
	var live string
	for i, srv := range c.Servers {
		if i != leader {
			live = srv.ClientURL()
		}
	}
	if now := c.StreamLeader("WEBHOOKS"); now == leader {
		t.Fatal("the killed node still leads the stream")
	}
	l.check(t, readStream(t, live))
}

// TestClusterInstanceSIGKILL kills one gateway process with SIGKILL while
// in-order senders alternate between the two, and does not restart it:
// every event answered 2xx is on the stream already, once and in order,
// because nothing waits in the killed gateway's data directory.
func TestClusterInstanceSIGKILL(t *testing.T) {
	bin := mustBinary(t)
	c := testkit.StartCluster(t, "hookgate-test")
	a := startBinary(t, bin, clusterConfig(t, c.URL(), "2m"))
	b := startBinary(t, bin, clusterConfig(t, c.URL(), "2m"))
	lb := newBalancer(a.addr, b.addr)
	l := &inOrderLoad{entities: 96, versions: 8}
	done := make(chan struct{})
	go func() { defer close(done); l.run(lb, 16) }()
	waitProgress(t, &l.progress, int64(l.entities*l.versions/3))
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	lb.down[0].Store(true)
	a.cmd.Wait()
	t.Logf("killed gateway A after %d deliveries", l.progress.Load())
	<-done
	l.check(t, readStream(t, c.Servers[0].ClientURL()))
}

// TestClusterConcurrentCopies sends each event several times at once, the
// copies spread over both gateways, as a provider's retry racing its
// first delivery would: every copy is answered 2xx (one accepted, the
// others duplicates), and the event is on the stream once. A copy that
// meets another's batch still in flight on the replicated stream is
// decided again, not refused.
func TestClusterConcurrentCopies(t *testing.T) {
	c := testkit.StartCluster(t, "hookgate-test")
	_, _, lb := startPair(t, c, "2m")
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	defer client.CloseIdleConnections()
	const copies = 6
	evs := makeEvents(120, 40, 13)
	var evsSent []loadEvent
	var outcomes []string
	var mu sync.Mutex
	sem := make(chan struct{}, 4) // events in flight at once, each with its copies
	var wg sync.WaitGroup
	for _, e := range evs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out := make([]string, copies)
			var cw sync.WaitGroup
			for k := range copies {
				cw.Go(func() { out[k] = postEvent(client, lb.base(k), e) })
			}
			cw.Wait()
			mu.Lock()
			defer mu.Unlock()
			for _, o := range out {
				evsSent = append(evsSent, e)
				outcomes = append(outcomes, o)
				if !answered(o) {
					t.Errorf("%s: a copy got %q; want 2xx", e.id, o)
				}
			}
		})
	}
	wg.Wait()
	checkStream(t, evsSent, outcomes, readStream(t, c.Servers[0].ClientURL()))
}
