package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/jsstore"
)

// MaxReplicas is the most replicas a JetStream stream can have.
const MaxReplicas = 5

// validateBackend checks storage.backend and nats.replicas, and what the
// jetstream backend needs of the rest: the stream is where it decides, so
// it needs JetStream mode, a stream that keeps claims for their TTL, and
// subjects apart from its internal ones. It runs after the providers,
// whose TTLs it reads.
func (c *Config) validateBackend(v *validator) {
	st, n := &c.Storage, &c.NATS
	switch strings.ToLower(st.Backend) {
	case "":
		st.Backend = BackendSQLite
	case BackendSQLite, BackendJetStream:
		st.Backend = strings.ToLower(st.Backend)
	default:
		v.bad("storage.backend", "%q is not sqlite or jetstream", st.Backend)
	}
	switch {
	case n.Replicas == 0:
		n.Replicas = 1
	case n.Replicas < 1 || n.Replicas > MaxReplicas:
		v.bad("nats.replicas", "%d is not from 1 to %d", n.Replicas, MaxReplicas)
	case n.Replicas > 1 && n.Embedded():
		v.bad("nats.replicas", "%d: the embedded server is one node; replicas need a NATS cluster (nats.url)", n.Replicas)
	}
	if st.Backend != BackendJetStream {
		return
	}
	if n.Mode != "jetstream" {
		v.bad("storage.backend", "jetstream decides in the stream: nats.mode must be jetstream, not %q", n.Mode)
	}
	if c.Archive.Enabled {
		v.bad("archive.enabled", "the archive is written with the sqlite backend's decisions; with storage.backend jetstream the stream itself keeps the events for nats.max_age (read them again with a consumer from a time or sequence)")
	}
	for i, subj := range n.Subjects {
		for _, internal := range jsstore.Subjects {
			if forward.SubjectsOverlap(subj, internal) {
				v.bad("nats.subjects["+strconv.Itoa(i)+"]", "%q overlaps %q, where storage.backend jetstream keeps its claims and versions", subj, internal)
			}
		}
	}
	if n.MaxAge == 0 {
		return
	}
	for i := range c.Providers {
		p := &c.Providers[i]
		if p.Dedupe.TTL > n.MaxAge {
			v.bad("nats.max_age", "%s is shorter than providers[%d] (%s) dedupe.ttl %s: with storage.backend jetstream the stream would drop claims before their TTL, and a retry after max_age would be forwarded again",
				time.Duration(n.MaxAge), i, p.Name, time.Duration(p.Dedupe.TTL))
		}
	}
}

// InStream reports whether decisions are kept in the NATS stream
// (storage.backend: jetstream).
func (s *Storage) InStream() bool { return s.Backend == BackendJetStream }
