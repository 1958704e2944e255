package gateway

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/jsstore"
)

// startNATS starts the embedded NATS server (sized to the largest
// max_body, or largestRow left in the outbox) with the configured users
// and an internal credential for the gateway's own connection, or
// connects to nats.url with its credentials.
func (s *Server) startNATS(ctx context.Context, largestRow int64) error {
	n := &s.cfg.NATS
	url := n.URL
	const timeout = 5 * time.Second
	opts := []nats.Option{
		nats.Name("hookgate"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectBufSize(-1), // fail publishes while disconnected; the relay retries in order
		// and once reconnected, none of a batch begun before (the
		// JetStream publisher's Dialer).
		nats.SetCustomDialer(&forward.Dialer{Timeout: timeout}),
		nats.Timeout(timeout),
	}
	if n.Embedded() {
		sc := forward.ServerConfig{
			Host:         n.Host,
			Port:         n.Port,
			StoreDir:     filepath.Join(s.cfg.DataDir, "nats"),
			SyncInterval: time.Duration(n.SyncInterval),
			MaxPayload:   embeddedMaxPayload(s.cfg, largestRow),
		}
		if s.cfg.Storage.InStream() {
			// One open batch per request in a work slot: the stream's
			// limit never turns a request away before the gateway's own.
			sc.MaxAtomicBatches = s.cfg.HTTP.MaxInFlight
		}
		if len(n.Users) > 0 {
			// The gateway's own credential: new at each start, in memory
			// only, so no config file or environment holds it.
			sc.InternalPassword = rand.Text()
			sc.Stream, sc.StreamSubjects = n.Stream, n.Subjects
			for _, u := range n.Users {
				sc.Users = append(sc.Users, forward.User{Name: u.User, Password: u.Password, Subscribe: u.Subscribe})
			}
			opts = append(opts, nats.UserInfo(forward.InternalUser, sc.InternalPassword),
				nats.CustomInboxPrefix(forward.InternalInboxPrefix))
		}
		ns, err := forward.StartServer(sc)
		if err != nil {
			return fmt.Errorf("embedded nats: %w", err)
		}
		s.ns = ns
		url = ns.ClientURL()
	} else {
		auth, err := n.NATSAuth.Options()
		if err != nil {
			return err
		}
		opts = append(opts, auth...)
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("nats: connect %s: %w", config.RedactURL(url), err)
	}
	s.nc = nc
	return ctx.Err()
}

// maxPayload is the largest message the NATS server takes, headers
// included (its max_payload, as it announced on connecting); 0 when not
// connected.
func (s *Server) maxPayload() int64 {
	if s.nc == nil {
		return 0
	}
	return s.nc.MaxPayload()
}

// headerRoom is what the embedded server's max_payload leaves beside the
// largest max_body for a message's headers.
const headerRoom = 64 << 10

// embeddedMaxPayload sizes the embedded server's max_payload to the
// largest max_body with room for headers, or to the largest row waiting in
// the outbox (accepted under an earlier, larger max_body): NATS's default
// (8 MiB) or more, up to NATS's ceiling of 64 MiB.
func embeddedMaxPayload(cfg *config.Config, largestRow int64) int32 {
	largest := largestRow + headerRoom
	for _, p := range cfg.Providers {
		largest = max(largest, p.MaxBody+headerRoom)
	}
	return int32(min(max(largest, forward.DefaultMaxPayload), 64<<20))
}

// checkMaxBody refuses providers whose max_body the NATS server could not
// take in one message: such events would be accepted and then stall the
// relay. A body within max_body whose message is too large only with its
// headers is refused per request (413).
func checkMaxBody(providers []*provider, limit int64) error {
	var errs []error
	for _, p := range providers {
		if p.maxBody > limit {
			errs = append(errs, fmt.Errorf("%w: provider %s: max_body %d bytes is more than the NATS server takes in a message (max_payload %d): raise the server's max_payload (the embedded server sizes it at start) or lower max_body",
				config.ErrInvalid, p.name, p.maxBody, limit))
		}
	}
	return errors.Join(errs...)
}

func (s *Server) ensureStream(ctx context.Context, js jetstream.JetStream) error {
	n := &s.cfg.NATS
	if *n.CreateStream {
		sc := forward.StreamConfig{
			Name:       n.Stream,
			Subjects:   n.Subjects,
			Duplicates: time.Duration(n.DuplicateWindow),
			MaxAge:     time.Duration(n.MaxAge),
			MaxBytes:   n.MaxBytes,
			Replicas:   n.Replicas,
		}
		if s.cfg.Storage.InStream() {
			sc.Decisions, sc.DecisionSubjects = true, jsstore.Subjects
			ttl := longestTTL(s.table.Load())
			sc.Check = func(cfg jetstream.StreamConfig) error { return jsstore.Check(cfg, ttl) }
		}
		err := forward.EnsureStream(ctx, js, sc)
		if err != nil {
			return fmt.Errorf("nats: stream %s: %w", n.Stream, err)
		}
		// Where consumers (package consume) keep what they give up on.
		// Without it they refuse to start, naming it: a warning here.
		if err := forward.EnsureDeadLetterStream(ctx, js, sc); err != nil {
			s.log.Warn("the dead-letter stream was not created; consumers need a stream on "+forward.DeadLetterSubjects, "err", err)
		}
	}
	st, err := js.Stream(ctx, n.Stream)
	if err != nil {
		return fmt.Errorf("nats: stream %s: %w (create it, or set nats.create_stream: true)", n.Stream, err)
	}
	info := st.CachedInfo().Config
	if info.MaxMsgSize > 0 {
		s.streamMaxMsg.Store(int64(info.MaxMsgSize))
	}
	s.streamLimits = info.Retention == jetstream.LimitsPolicy
	if info.Replicas != n.Replicas {
		s.log.Warn("the stream's replicas differ from nats.replicas, which applies only when hookgate creates the stream", "stream", n.Stream, "replicas", info.Replicas, "nats.replicas", n.Replicas)
	}
	// Events go to the stream's own subjects, never to the internal ones
	// of the jetstream backend.
	s.streamSubjects = slices.DeleteFunc(slices.Clone(info.Subjects), func(subj string) bool {
		return slices.Contains(jsstore.Subjects, subj)
	})
	return nil
}

// streamDecider returns the jetstream backend's decider, once the stream
// has what it needs (the server's version was checked before the stream
// was touched): an error names what is missing.
func (s *Server) streamDecider(ctx context.Context) (*jsstore.Decider, error) {
	d, err := jsstore.New(ctx, s.js, s.cfg.NATS.Stream, longestTTL(s.table.Load()))
	if errors.Is(err, jsstore.ErrUnsupported) && !*s.cfg.NATS.CreateStream {
		return nil, fmt.Errorf("storage.backend jetstream: %w (set nats.create_stream: true to let hookgate add them, or add them to the stream)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("storage.backend jetstream: %w", err)
	}
	d.Signer = s.msgSigner()
	return d, nil
}

// longestTTL is the longest dedupe TTL of t's providers: the stream of
// the jetstream backend must keep claims that long.
func longestTTL(t *routeTable) time.Duration {
	var ttl time.Duration
	for _, p := range t.byName {
		ttl = max(ttl, p.ttl)
	}
	return ttl
}

// checkSubjects refuses providers whose subject template can render a
// subject outside the stream's subjects (as the stream was found at start):
// their events would be accepted and then refused by the stream.
func (s *Server) checkSubjects(providers []*provider, routes []config.Route) error {
	if s.streamSubjects == nil {
		return nil
	}
	var errs []error
	for _, p := range providers {
		if !forward.TemplateCovered(p.subject, p.name, s.streamSubjects) {
			errs = append(errs, fmt.Errorf("%w: provider %s: subject %q does not fall inside the subjects %q of stream %s: the stream would refuse its events (change the subject, or the stream's subjects)",
				config.ErrInvalid, p.name, p.subject, s.streamSubjects, s.cfg.NATS.Stream))
		}
		if p.staleSubject != "" && !forward.TemplateCovered(p.staleSubject, p.name, s.streamSubjects) {
			errs = append(errs, fmt.Errorf("%w: provider %s: ordering.stale_subject %q does not fall inside the subjects %q of stream %s: the stream would refuse its stale events",
				config.ErrInvalid, p.name, p.staleSubject, s.streamSubjects, s.cfg.NATS.Stream))
		}
		for _, r := range routes {
			if r.Drop() || (len(r.Providers) > 0 && !slices.Contains(r.Providers, p.name)) {
				continue
			}
			if !forward.TemplateCovered(r.Subject, p.name, s.streamSubjects) {
				errs = append(errs, fmt.Errorf("%w: route %s: subject %q for provider %s does not fall inside the subjects %q of stream %s: the stream would refuse its copies",
					config.ErrInvalid, r.Name, r.Subject, p.name, s.streamSubjects, s.cfg.NATS.Stream))
			}
		}
	}
	return errors.Join(errs...)
}
