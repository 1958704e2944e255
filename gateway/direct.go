package gateway

import (
	"context"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/ordering"
	"github.com/hookgate/hookgate/store"
	"github.com/hookgate/hookgate/webhook"
)

// catchUpTimeout bounds the writer's CatchUp at start.
const catchUpTimeout = 2 * time.Minute

// directStream lets the SQLite writer publish accepted events to the stream
// itself (store.Stream): one durable write of the body while NATS takes
// it, the outbox when it does not.
func (s *Server) directStream(pub *forward.JetStreamPublisher) *store.Stream {
	return &store.Stream{
		Publish: pub,
		Since: func(ctx context.Context, seq uint64, fn func(uint64, forward.Message) error) (uint64, error) {
			return forward.ReadSince(ctx, s.js, s.cfg.NATS.Stream, seq, fn)
		},
		Reclaim:   s.reclaim,
		Published: s.relay.Count,
		Fallback: func(n int, err error) {
			s.metrics.fallbacks.Add(float64(n))
			s.log.Warn("the stream did not take a batch's messages in time; they wait in the outbox", "messages", n, "err", err)
		},
	}
}

// reclaim returns the claim and version that a message read back from the
// stream stands for: a new event of a provider this gateway serves, as
// its handler built it (see provider.event). Replays and messages of other
// publishers are not claims.
func (s *Server) reclaim(m forward.Message) (*webhook.Event, bool) {
	if m.Header.Get(forward.HeaderReplay) != "" {
		return nil, false
	}
	stale := m.Header.Get(forward.HeaderStale) != "" // a stale event kept: its claim, not its version
	p := s.table.Load().byName[m.Header.Get(forward.HeaderProvider)]
	id := m.Header.Get(forward.HeaderEventID)
	if p == nil || id == "" || m.ID != p.name+":"+id {
		return nil, false
	}
	ev := &webhook.Event{Provider: p.name, ID: id, Key: m.ID, TTL: p.ttl}
	if body, ok := p.envelope.rawBody(m.Body); ok {
		ev.BodyKey = p.bodyKey(id, body)
	}
	if key := m.Header.Get(forward.HeaderOrderingKey); key != "" && p.ident.ordered && !stale {
		if v, kind, err := ordering.ParseVersion(m.Header.Get(forward.HeaderOrderingVersion), p.ident.format); err == nil {
			ev.Ordered, ev.Entity, ev.Version, ev.VersionKind = true, p.name+":"+key, v, kind
		}
	}
	return ev, true
}
