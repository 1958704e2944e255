package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// setupSpec is one gateway setup a run measures (Options.Setups).
type setupSpec struct {
	name     string // as given: sqlite, jetstream, cluster-N; "hookgate" for a running gateway
	backend  string // the gateways' storage.backend: sqlite or jetstream
	cluster  bool   // NATS is a three-node cluster of child processes, not each gateway's embedded server
	gateways int    // gateway processes; the load goes to each in turn
}

// maxClusterGateways bounds N in cluster-N: each is a process on this
// machine, beside the three NATS nodes and the load generator.
const maxClusterGateways = 8

// clusterNodes is the size of a cluster setup's NATS cluster, and the
// stream's replicas on it.
const clusterNodes = 3

// parseSetup reads one name of -setups.
func parseSetup(name string) (setupSpec, error) {
	switch name {
	case "sqlite":
		return setupSpec{name: name, backend: "sqlite", gateways: 1}, nil
	case "jetstream":
		return setupSpec{name: name, backend: "jetstream", gateways: 1}, nil
	}
	if n, ok := strings.CutPrefix(name, "cluster-"); ok {
		if k, err := strconv.Atoi(n); err == nil && k >= 1 && k <= maxClusterGateways {
			return setupSpec{name: name, backend: "jetstream", cluster: true, gateways: k}, nil
		}
	}
	return setupSpec{}, fmt.Errorf("bench: setup %q is not sqlite, jetstream or cluster-N (N gateways from 1 to %d)", name, maxClusterGateways)
}

// describe says what the setup runs, for the report.
func (s setupSpec) describe() string {
	switch {
	case s.name == "hookgate":
		return "the running gateway"
	case s.cluster && s.gateways == 1:
		return fmt.Sprintf("1 gateway with storage.backend jetstream on a %d-node NATS cluster (child processes), stream R%d", clusterNodes, clusterNodes)
	case s.cluster:
		return fmt.Sprintf("%d gateways with storage.backend jetstream on a %d-node NATS cluster (child processes), stream R%d, each request to the next gateway", s.gateways, clusterNodes, clusterNodes)
	case s.backend == "jetstream":
		return "1 gateway with storage.backend jetstream on its embedded NATS server (one node), stream R1"
	default:
		return "1 gateway with storage.backend sqlite (claims in SQLite, events published before the commit, the outbox as fallback) and its embedded NATS server, stream R1"
	}
}
