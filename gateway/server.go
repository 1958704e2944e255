package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/deliver"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/jsstore"
	"github.com/hookgate/hookgate/store"
)

// Server is a running gateway: storage, NATS, the relay, the writer and the
// public HTTP server. Open starts it; Close stops it.
type Server struct {
	cfg  *config.Config // as started; a reload swaps providers only
	log  *slog.Logger
	now  func() time.Time
	load func() (*config.Config, error)

	lock       *store.DirLock // on data_dir, held from the start to the end of Close
	db         *store.DB
	outbox     forward.Counter // what waits in the outbox: the writer adds, the relay removes
	ns         *server.Server  // nil with an external NATS
	nc         *nats.Conn
	relay      *forward.Relay
	writer     *store.Writer    // the sqlite backend's decider; nil with jetstream
	streamDec  *jsstore.Decider // the jetstream backend's decider; nil with sqlite
	decider    Decider
	js         jetstream.JetStream // nil in core mode
	quarantine *quarantine         // nil when off
	metrics    *metrics
	table      atomic.Pointer[routeTable]
	rules      atomic.Pointer[rules] // nil without routes
	closing    atomic.Bool           // set when Close starts; /readyz answers 503
	admission  *admission            // the work slots
	conns      *connLimit            // the public listener's connection cap
	receiving  atomic.Int64          // requests whose body is arriving
	// streamMaxMsg is the stream's max_msg_size as read at start (0: no
	// limit, or not JetStream).
	streamMaxMsg atomic.Int64
	// streamSubjects are the stream's subjects as read at start (nil in
	// core mode): what provider subjects and replays must fall inside.
	streamSubjects []string
	// streamLimits: the stream keeps its messages by limits, so that the
	// writer can read back what it published (see directStream).
	streamLimits bool
	replays      replayRuns // replays being queued
	// reloadMu makes reloads (SIGHUP, POST /admin/reload) one at a time.
	reloadMu sync.Mutex
	// cert is the public listener's certificate (http.tls), which a
	// reload reads again; adminCheck is how admin tokens are checked
	// (admin.auth), which a reload builds again; restartFiles are the
	// digests of the files that only a restart reads again.
	cert         atomic.Pointer[tls.Certificate]
	adminCheck   atomic.Pointer[adminCheck]
	restartFiles map[string]string
	http         *http.Server
	ln           net.Listener
	served       chan struct{} // closed when the HTTP server stops
	srvErr       error

	// signer signs every published message (nats.sign); nil when off.
	signer *bussig.Signer
	// deliveries are the running deliveries: section.
	deliveries []*deliver.Delivery

	admin     *http.Server
	adminLn   net.Listener
	adminDone chan struct{}

	stopSweep context.CancelFunc
	sweepDone chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Options adjust Open for tests and embedding.
type Options struct {
	Logger *slog.Logger     // default: slog.Default()
	Now    func() time.Time // default: time.Now
	// LoadConfig, when set, reads and validates the config again for
	// POST /admin/reload (the command line also reloads on SIGHUP).
	LoadConfig func() (*config.Config, error)
}

// Open starts a gateway on a validated config, in this order: the
// exclusive lock on data_dir (another gateway holding it: an error wrapping
// store.ErrLocked, naming its pid), the SQLite database, NATS (embedded or connected) and its stream, the relay and the
// writer, and last the HTTP listener, so the port opens only once the
// gateway can take events. On any error everything started so far is
// stopped again and the error names the step.
func Open(ctx context.Context, cfg *config.Config, opt Options) (*Server, error) {
	s := newServer(cfg, opt)
	if err := s.start(ctx); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	return s, nil
}

// newServer returns a gateway on a validated config with its edge set up
// (admission, connection cap, metrics) and nothing started.
func newServer(cfg *config.Config, opt Options) *Server {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Server{cfg: cfg, log: opt.Logger, now: opt.Now, load: opt.LoadConfig, metrics: newMetrics(),
		admission: newAdmission(cfg.HTTP.MaxInFlight, cfg.HTTP.MaxInFlightPerProvider, cfg.HTTP.MaxInFlightPerClient)}
	trusted, _ := parsePrefixes(cfg.HTTP.TrustedProxies) // valid: the config is
	s.conns = newConnLimit(cfg.HTTP.MaxConns, cfg.HTTP.MaxConnsPerClient, trusted, s.metrics.connsRefused.Inc, s.metrics.connsEvicted.Inc)
	return s
}

// msgSigner returns what signs published messages, or nil (an untyped
// nil: a publisher tests its Signer against nil).
func (s *Server) msgSigner() forward.Signer {
	if s.signer == nil {
		return nil
	}
	return s.signer
}

// signRoom is what a signature adds to a message's headers (0 when
// messages are not signed).
func (s *Server) signRoom() int {
	if s.signer == nil {
		return 0
	}
	return bussig.HeaderSize
}

// start runs the steps of Open; Open undoes them if one fails.
func (s *Server) start(ctx context.Context) error {
	providers, err := buildProviders(s.cfg, false)
	if err != nil {
		return err
	}
	s.restartFiles = fileDigests(s.cfg) // as read now, for a reload to compare
	key, err := s.cfg.NATS.Sign.Load()
	if err != nil {
		return err
	}
	if key != nil {
		s.signer = bussig.NewSigner(key)
	}
	rs, err := newRules(s.cfg.Routes)
	if err != nil {
		return err
	}
	s.rules.Store(rs.countIn(s.metrics.routeMatches))
	depth, err := s.openStorage(ctx)
	if err != nil {
		return err
	}
	if err := s.startNATS(ctx, depth.Largest); err != nil {
		return err
	}
	if err := checkMaxBody(providers, s.maxPayload()); err != nil {
		return err
	}
	// The route table serves the stream's checks (the longest TTL) and
	// the writer's CatchUp.
	s.table.Store(newRouteTable(providers))
	pub, err := s.publisher(ctx, providers)
	if err != nil {
		return err
	}
	if err := s.startPipeline(ctx, pub, depth); err != nil {
		return err
	}
	s.startSweeper()
	if err := s.startDeliveries(ctx); err != nil {
		return err
	}
	if err := s.startAdmin(); err != nil {
		return err
	}
	if err := s.startHTTP(providers); err != nil {
		return err
	}
	admin := "off"
	if a := s.AdminAddr(); a != nil {
		admin = a.String()
	}
	signing := "off"
	if s.signer != nil {
		signing = "key " + s.signer.KeyID()
	}
	s.log.Info("hookgate listening", "addr", s.ln.Addr().String(), "admin", admin, "nats", s.nc.ConnectedUrlRedacted(),
		"backend", s.cfg.Storage.Backend, "db", s.db.Path, "providers", len(providers), "signing", signing)
	return nil
}

// startDeliveries starts the deliveries of the config, in process, on the
// gateway's own connection. With nats.sign each verifies the gateway's key
// unless it names its own.
func (s *Server) startDeliveries(ctx context.Context) error {
	if len(s.cfg.Deliveries) == 0 {
		return nil
	}
	m := deliver.NewMetrics(s.metrics.registry)
	for i := range s.cfg.Deliveries {
		var own ed25519.PublicKey
		if s.signer != nil {
			own = s.signer.Public()
		}
		t, err := s.cfg.Deliveries[i].Target(s.cfg.NATS.Stream, own)
		if err != nil {
			return err
		}
		d, err := deliver.Start(ctx, s.js, t, nil, m, s.log)
		if err != nil {
			return err
		}
		s.deliveries = append(s.deliveries, d)
	}
	return nil
}

// openStorage takes the data directory's lock and opens the database. It
// returns what an earlier run left in the outbox: its rows must fit the
// embedded server's max_payload too.
func (s *Server) openStorage(ctx context.Context) (forward.Stats, error) {
	cfg := s.cfg
	// One gateway per data directory: a second one would relay the same
	// outbox. Read-only commands and `hookgate replay` do not take it.
	var err error
	if s.lock, err = store.Lock(cfg.DataDir, s.now()); err != nil {
		return forward.Stats{}, err
	}
	if s.db, err = OpenDB(ctx, cfg.DataDir, store.Options{
		Synchronous: cfg.Storage.Synchronous,
		BusyTimeout: time.Duration(cfg.Storage.BusyTimeout),
	}); err != nil {
		return forward.Stats{}, err
	}
	depth, err := forward.Depth(ctx, s.db.Read)
	if err != nil {
		return forward.Stats{}, fmt.Errorf("storage: %w", err)
	}
	return depth, nil
}

// publisher returns the relay's publisher: core NATS, or JetStream once
// the stream exists and takes every provider's subjects.
func (s *Server) publisher(ctx context.Context, providers []*provider) (forward.Publisher, error) {
	if s.cfg.NATS.Mode == "core" {
		pub := forward.NewCorePublisher(s.nc, 0)
		pub.Signer = s.msgSigner()
		return pub, nil
	}
	if s.cfg.Storage.InStream() {
		// Before the stream is touched: an older server ignores the
		// settings it does not know rather than refusing them.
		if err := jsstore.CheckServer(s.nc.ConnectedServerVersion()); err != nil {
			return nil, fmt.Errorf("storage.backend jetstream: %w", err)
		}
	}
	js, err := jetstream.New(s.nc)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	s.js = js
	if err := s.ensureStream(ctx, js); err != nil {
		return nil, err
	}
	if err := s.checkSubjects(providers, s.cfg.Routes); err != nil {
		return nil, err
	}
	pub, err := forward.NewJetStreamPublisher(s.nc, 0)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	pub.Signer = s.msgSigner()
	return pub, nil
}

// startPipeline starts what decides and forwards events: the relay, the
// decider (the store's writer, or the stream's decider with storage.backend
// jetstream), and the quarantine when it is on. With the jetstream backend
// the relay still sends what an earlier sqlite run left in the outbox,
// replays and parked rows; nothing new enters the outbox.
func (s *Server) startPipeline(ctx context.Context, pub forward.Publisher, depth forward.Stats) error {
	cfg := s.cfg
	if cfg.Storage.InStream() {
		d, err := s.streamDecider(ctx)
		if err != nil {
			return err
		}
		s.streamDec = d
	}
	s.outbox.Add(depth.Rows, depth.Bytes)
	s.relay = &forward.Relay{DB: s.db.Write, ReadDB: s.db.Read, Publish: pub, Logger: s.log, Now: s.now, Counter: &s.outbox}
	s.relay.Start()
	if depth.Rows > 0 {
		s.log.Info("outbox holds events from an earlier run; sending them", "rows", depth.Rows, "bytes", depth.Bytes)
	}
	if cfg.Quarantine.Enabled {
		s.quarantine = newQuarantine(s.db.Write, cfg.Quarantine, s.metrics.quarantineDropped.Inc,
			func(err error) { s.log.Warn("quarantine write failed", "err", err) })
	}
	s.metrics.registerRuntime(s)
	if s.streamDec != nil {
		s.decider = s.streamDec
		return nil
	}
	s.writer = &store.Writer{
		DB:             s.db.Write,
		Outbox:         &s.outbox,
		Now:            s.now,
		MaxOutboxRows:  cfg.Storage.OutboxMaxRows,
		MaxOutboxBytes: cfg.Storage.OutboxMaxBytes,
		Archive:        cfg.Archive.Enabled,
	}
	s.writer.Committed = s.relay.Notify
	s.writer.Cycles = s.metrics.cycle
	if js, ok := pub.(*forward.JetStreamPublisher); ok && s.streamLimits {
		s.writer.Stream = s.directStream(js)
		cctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
		err := s.writer.CatchUp(cctx)
		cancel()
		if err != nil {
			return fmt.Errorf("%w (after %s; is NATS reachable?)", err, catchUpTimeout)
		}
	} else if ok {
		s.log.Info("events go through the outbox: the stream does not keep its messages by limits, so a publish before the commit could not be read back after a crash", "stream", cfg.NATS.Stream)
	}
	s.writer.Start()
	s.decider = s.writer
	return nil
}

// startHTTP opens the public listener, last: the port opens only once the
// gateway can take events.
func (s *Server) startHTTP(providers []*provider) error {
	cfg := s.cfg
	// The certificate first: read again here (the files may have changed
	// since the config was validated), before anything Close would wait on.
	var tlsConfig *tls.Config
	if t := cfg.HTTP.TLS; t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return fmt.Errorf("http.tls: %w", err)
		}
		s.cert.Store(&cert)
		tlsConfig = &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if lc := asLimited(hello.Conn); lc != nil && slices.Contains(hello.SupportedProtos, "h2") {
				lc.h2.Store(true) // see limitedConn.Read
			}
			return s.cert.Load(), nil
		}}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.ln = s.conns.listener(ln, cfg.HTTP.TLS.CertFile == "")
	s.http = &http.Server{
		TLSConfig:         tlsConfig,
		Handler:           s.routes(providers),
		ReadHeaderTimeout: time.Duration(cfg.HTTP.ReadHeaderTimeout),
		ReadTimeout:       time.Duration(cfg.HTTP.ReadTimeout),
		WriteTimeout:      time.Duration(cfg.HTTP.WriteTimeout),
		IdleTimeout:       time.Duration(cfg.HTTP.IdleTimeout),
		MaxHeaderBytes:    cfg.HTTP.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// The connection cap (conns.go) learns which connections are idle,
		// and an HTTP/2 request finds its connection, for its slot.
		ConnState:   s.conns.track,
		ConnContext: s.conns.connContext,
		// With TLS, HTTP/2: at most this many requests on a connection at
		// once (Go's default is 250), each beyond the first taking a slot
		// of http.max_conns (connLimit.openStream).
		HTTP2: &http.HTTP2Config{MaxConcurrentStreams: cfg.HTTP.MaxConcurrentStreams},
	}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		var err error
		if s.http.TLSConfig != nil {
			err = s.http.ServeTLS(s.ln, "", "") // the certificate of s.cert
		} else {
			err = s.http.Serve(s.ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.srvErr = err
		}
	}()
	return nil
}

// routes returns the public HTTP handler. Requests are dispatched by path
// through the current provider table, so a reload swaps every provider at
// once; a request keeps the provider it started with.
func (s *Server) routes(providers []*provider) *echo.Echo {
	s.table.Store(newRouteTable(providers))
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover())
	e.Any("/*", s.dispatch)
	return e
}

// routeTable maps a path to its provider.
type routeTable struct {
	byPath map[string]*provider
	byName map[string]*provider
}

func newRouteTable(providers []*provider) *routeTable {
	t := &routeTable{byPath: map[string]*provider{}, byName: map[string]*provider{}}
	for _, p := range providers {
		t.byPath[p.path] = p
		t.byName[p.name] = p
	}
	return t
}

func (s *Server) dispatch(c echo.Context) error {
	p := s.table.Load().byPath[c.Request().URL.Path]
	if p == nil {
		return c.JSON(http.StatusNotFound, map[string]string{"error": "no provider at this path"})
	}
	if !slices.Contains(p.methods, c.Request().Method) {
		c.Response().Header().Set("Allow", strings.Join(p.methods, ", "))
		return c.JSON(http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
	}
	return s.serve(c, p)
}

// startSweeper deletes expired claims, versions and archived events every
// storage.sweep_interval (store.Sweep, in batches that do not hold up the
// writer), and counts the outbox again from its table (rows a replay from
// another process added).
func (s *Server) startSweeper() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopSweep = cancel
	s.sweepDone = make(chan struct{})
	go func() {
		defer close(s.sweepDone)
		t := time.NewTicker(time.Duration(s.cfg.Storage.SweepInterval))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.outbox.Resync(ctx, s.db.Read); err != nil && ctx.Err() == nil {
					s.log.Warn("outbox recount failed", "err", err)
				}
				now := s.now()
				// Retention applies whether or not the archive is on now.
				n, err := store.Sweep(ctx, s.db.Write, now, now.Add(-time.Duration(s.cfg.Archive.Retention)))
				if err != nil && ctx.Err() == nil {
					s.log.Warn("sweep failed", "err", err)
				} else if n > 0 {
					s.log.Debug("swept expired rows", "rows", n)
				}
				s.metrics.swept.Add(float64(n))
			}
		}
	}()
}

// Addr is the address the HTTP server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// NATSURL is the URL of the NATS server in use (the embedded one's when
// embedded).
func (s *Server) NATSURL() string {
	if s.ns != nil {
		return s.ns.ClientURL()
	}
	return s.cfg.NATS.URL
}

// Serve blocks until the HTTP server stops, returning its error if it
// failed rather than being closed.
func (s *Server) Serve() error {
	<-s.served
	return s.srvErr
}

// Close stops the gateway in reverse order: it stops accepting requests and
// lets in-flight ones finish (up to http.shutdown_timeout), lets the
// deliveries' requests finish (all at once, up to http.shutdown_timeout),
// decides what the writer has queued, lets the relay publish what it can
// (up to http.shutdown_timeout; the rest stays in the outbox for the next
// start), and closes NATS and the database. ctx can only shorten those
// steps. It is safe to call more than once.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { s.closeErr = s.close(ctx) })
	return s.closeErr
}

func (s *Server) close(ctx context.Context) error {
	s.closing.Store(true)
	var errs []error
	if s.http != nil {
		sctx, cancel := context.WithTimeout(ctx, time.Duration(s.cfg.HTTP.ShutdownTimeout))
		if err := s.http.Shutdown(sctx); errors.Is(err, context.DeadlineExceeded) {
			// Requests still running after http.shutdown_timeout are cut:
			// none got its 2xx, so the provider retries it. Not a failure
			// of the shutdown.
			s.log.Warn("requests still in flight at http.shutdown_timeout were cut; their senders will retry", "timeout", time.Duration(s.cfg.HTTP.ShutdownTimeout))
			s.http.Close()
		} else if err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
			s.http.Close()
		}
		cancel()
		<-s.served
	}
	if s.admin != nil {
		// Last of the listeners: /readyz said "shutting down" meanwhile.
		s.admin.Close()
		<-s.adminDone
	}
	// Replays being queued stop between pages; what they queued is sent.
	s.replays.stop(errShuttingDown)
	if s.stopSweep != nil {
		s.stopSweep()
		<-s.sweepDone
	}
	if len(s.deliveries) > 0 {
		// Requests in flight finish (bounded, all deliveries at once);
		// the rest stays on the stream for the next start.
		dctx, cancel := context.WithTimeout(ctx, time.Duration(s.cfg.HTTP.ShutdownTimeout))
		var wg sync.WaitGroup
		for _, d := range s.deliveries {
			wg.Go(func() {
				if err := d.Stop(dctx); err != nil {
					s.log.Warn("a delivery's requests were cut at shutdown; their events are delivered again", "err", err)
				}
			})
		}
		wg.Wait()
		cancel()
	}
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	if s.quarantine != nil {
		s.quarantine.close()
	}
	if s.relay != nil {
		fctx, cancel := context.WithTimeout(ctx, time.Duration(s.cfg.HTTP.ShutdownTimeout))
		if err := s.relay.Flush(fctx); err != nil {
			s.log.Warn("outbox not empty at shutdown; the rest is sent at next start", "err", err)
		}
		cancel()
		errs = append(errs, s.relay.Close())
	}
	if s.nc != nil {
		s.nc.Close()
	}
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	errs = append(errs, s.lock.Release())
	return errors.Join(errs...)
}
