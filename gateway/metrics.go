package gateway

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hookgate/hookgate/store"
)

// metrics are the gateway's Prometheus collectors, on a registry of their
// own (served on the admin listener at /metrics).
type metrics struct {
	registry *prometheus.Registry

	requests      *prometheus.CounterVec   // provider, outcome
	rejections    *prometheus.CounterVec   // provider, reason
	verifyFailed  *prometheus.CounterVec   // provider, reason
	secretMatched *prometheus.CounterVec   // provider, index
	latency       *prometheus.HistogramVec // provider
	swept         prometheus.Counter

	quarantineDropped prometheus.Counter
	connsRefused      prometheus.Counter
	connsEvicted      prometheus.Counter
	fallbacks         prometheus.Counter
	routeMatches      *prometheus.CounterVec   // route
	routeErrors       *prometheus.CounterVec   // route
	writerStage       *prometheus.HistogramVec // stage; the sqlite backend's writer
	writerBatch       prometheus.Histogram
	// The writer's stages, looked up once: it reports every batch.
	writerDecide, writerPublish, writerCommit prometheus.Observer
}

// Request outcomes counted by hookgate_requests_total, besides the decision
// outcomes (accepted, duplicate, stale).
const (
	outcomeRejected    = "rejected"
	outcomeHandshake   = "handshake"
	outcomeRateLimited = "rate_limited"
)

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookgate_requests_total",
			Help: "Webhook requests by provider and outcome (accepted, duplicate, stale, handshake, rejected, rate_limited).",
		}, []string{"provider", "outcome"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookgate_rejections_total",
			Help: "Rejected webhook requests by provider and reason.",
		}, []string{"provider", "reason"}),
		verifyFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookgate_verify_failures_total",
			Help: "Signature verification failures by provider and reason.",
		}, []string{"provider", "reason"}),
		secretMatched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookgate_secret_matches_total",
			Help: "Verified requests by provider and the index of the secret that matched (rotation progress).",
		}, []string{"provider", "index"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookgate_request_duration_seconds",
			Help:    "Time from the start of a webhook request to its answer.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"provider"}),
		swept: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookgate_sweeper_deleted_total",
			Help: "Expired processed-event and ordering rows deleted by the sweeper.",
		}),
	}
	m.quarantineDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hookgate_quarantine_dropped_total",
		Help: "Failed requests not quarantined because the quarantine queue was full.",
	})
	m.connsRefused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hookgate_http_connections_refused_total",
		Help: "Connections closed at once: the public listener was at http.max_conns with no connection idle, or the client address at http.max_conns_per_client.",
	})
	m.connsEvicted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hookgate_http_connections_evicted_total",
		Help: "Idle connections closed to make room for a new one at http.max_conns.",
	})
	m.fallbacks = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hookgate_outbox_fallback_messages_total",
		Help: "Messages (of accepted events, their route copies, kept stale events) put in the outbox because the stream did not acknowledge the writer's own publish in time.",
	})
	m.routeMatches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookgate_route_matches_total",
		Help: "Accepted events a route gave a copy or dropped (not duplicates nor stale events), by route.",
	}, []string{"route"})
	m.routeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookgate_route_errors_total",
		Help: "Route conditions that failed to evaluate for an event (counted as no match), by route.",
	}, []string{"route"})
	m.writerStage = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hookgate_writer_stage_seconds",
		Help:    "Time of each stage of the SQLite writer: per batch, decide (its claims and versions) and, when it published, publish (to the stream, before the commit); per transaction, commit (one may hold several batches answered before it).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"stage"})
	m.writerBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "hookgate_writer_batch_events",
		Help:    "Events decided together in one batch of the SQLite writer (a transaction may hold several batches).",
		Buckets: prometheus.ExponentialBuckets(1, 2, 9), // 1 to 256
	})
	m.writerDecide = m.writerStage.WithLabelValues("decide")
	m.writerPublish = m.writerStage.WithLabelValues("publish")
	m.writerCommit = m.writerStage.WithLabelValues("commit")
	m.registry.MustRegister(m.writerStage, m.writerBatch, m.connsRefused, m.connsEvicted, m.quarantineDropped, m.fallbacks, m.routeMatches, m.routeErrors, m.requests, m.rejections, m.verifyFailed, m.secretMatched, m.latency, m.swept,
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(liveHeap)), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// liveHeap adds to the Go collector's defaults the heap the last
// collection found reachable (go_gc_heap_live_bytes) and the collector's
// settings (go_gc_gogc_percent, go_gc_gomemlimit_bytes): the figures that
// tell live memory from collector headroom in RSS.
var liveHeap = collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/(heap/live:bytes|gogc:percent|gomemlimit:bytes)$`)}

// observe records one finished request.
func (m *metrics) observe(provider string, r processed, err error, d time.Duration) {
	if m == nil {
		return
	}
	m.latency.WithLabelValues(provider).Observe(d.Seconds())
	if r.secret >= 0 {
		m.secretMatched.WithLabelValues(provider, strconv.Itoa(r.secret)).Inc()
	}
	switch {
	case errors.Is(err, ErrRateLimited):
		m.requests.WithLabelValues(provider, outcomeRateLimited).Inc()
	case err != nil:
		_, _, reason := classify(err)
		m.requests.WithLabelValues(provider, outcomeRejected).Inc()
		m.rejections.WithLabelValues(provider, reason).Inc()
		if isVerifyFailure(reason) {
			m.verifyFailed.WithLabelValues(provider, reason).Inc()
		}
	case r.handshake != nil:
		m.requests.WithLabelValues(provider, outcomeHandshake).Inc()
	default:
		m.requests.WithLabelValues(provider, r.outcome.String()).Inc()
	}
}

// cycle records what the SQLite writer reports: a batch's events and its
// decide stage, its publish when it published, a commit when one ran.
func (m *metrics) cycle(c store.Cycle) {
	if c.Events > 0 {
		m.writerBatch.Observe(float64(c.Events))
		m.writerDecide.Observe(c.Decide.Seconds())
	}
	if c.Publish > 0 {
		m.writerPublish.Observe(c.Publish.Seconds())
	}
	if c.Committed {
		m.writerCommit.Observe(c.Commit.Seconds())
	}
}

// registerRuntime adds the gauges read from the running gateway: outbox
// depth and age, relay counters and lag, and the NATS connection state.
func (m *metrics) registerRuntime(s *Server) {
	outbox := func(f func(rows, bytes int64) float64) func() float64 {
		return func() float64 { return f(s.outbox.Load()) }
	}
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookgate_outbox_rows", Help: "Events committed and not yet acknowledged by NATS.",
		}, outbox(func(rows, _ int64) float64 { return float64(rows) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookgate_outbox_bytes", Help: "Body bytes of the events in the outbox.",
		}, outbox(func(_, bytes int64) float64 { return float64(bytes) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookgate_outbox_parked", Help: "Outbox rows the relay parked after the NATS server refused them again and again; they wait to be sent again.",
		}, func() float64 { return float64(s.parked()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hookgate_relay_parked_total", Help: "Rows the relay parked since the gateway started.",
		}, func() float64 { return float64(s.relay.Stats().Parked) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookgate_outbox_oldest_age_seconds", Help: "Age of the oldest event in the outbox (0 when empty).",
		}, func() float64 { return s.outboxAge().Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hookgate_relay_published_total", Help: "Messages acknowledged by NATS (duplicates included).",
		}, func() float64 { return float64(s.relay.Stats().Published) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hookgate_relay_duplicates_total", Help: "Republished messages the stream dropped as duplicates.",
		}, func() float64 { return float64(s.relay.Stats().Duplicates) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hookgate_relay_failures_total", Help: "Relay rounds that failed (NATS down, ack timeout, delete failed).",
		}, func() float64 { return float64(s.relay.Stats().Failures) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookgate_relay_lag_seconds", Help: "Time from commit to NATS ack of the last message the relay published.",
		}, func() float64 { return s.relay.Stats().Lag.Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookgate_http_connections", Help: "Connection slots taken: open connections of the public listener, and their HTTP/2 requests beyond the first (at most http.max_conns).",
		}, func() float64 { return float64(s.conns.Open()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookgate_requests_in_flight", Help: "Requests holding a work slot: verified and decided now (at most http.max_in_flight).",
		}, func() float64 { return float64(s.admission.busy()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookgate_requests_receiving", Help: "Requests whose body is still arriving (they hold a connection, not a work slot).",
		}, func() float64 { return float64(s.receiving.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookgate_nats_connected", Help: "1 when the NATS connection is up.",
		}, func() float64 {
			if s.nc != nil && s.nc.IsConnected() {
				return 1
			}
			return 0
		}),
	)
}

// outboxAge is the age of the oldest outbox row, read from the database.
func (s *Server) outboxAge() time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var oldest int64
	if err := s.db.Read.QueryRowContext(ctx, `SELECT created_at FROM outbox ORDER BY seq LIMIT 1`).Scan(&oldest); err != nil {
		return 0 // empty (sql.ErrNoRows) or unreadable: nothing to report
	}
	return s.now().Sub(time.Unix(0, oldest))
}
