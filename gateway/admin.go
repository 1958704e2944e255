package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// adminRoutes returns the admin listener's handler: /metrics, /healthz,
// /readyz, and the admin API under /admin/ behind bearer-token auth.
func (s *Server) adminRoutes() (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover())
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/readyz", s.readyz)
	if err := s.adminAPI(e); err != nil {
		return nil, err
	}
	return e, nil
}

// readiness problems, reported by /readyz.
var (
	errNotReadyClosing = errors.New("shutting down")
	errNotReadyNATS    = errors.New("NATS is disconnected and the outbox is at its bound")
	errNotReadyOutbox  = errors.New("the outbox is at its bound: NATS is connected but does not take the events")
)

// ready reports whether the gateway can take events: not shutting down,
// and with the sqlite backend the database takes a write lock and its last
// commit succeeded, and NATS is connected or the outbox still has room;
// with the jetstream backend the stream answers and still has what the
// decisions need.
func (s *Server) ready(ctx context.Context) error {
	if s.closing.Load() {
		return errNotReadyClosing
	}
	if s.streamDec != nil {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := s.streamDec.Ping(ctx); err != nil {
			return fmt.Errorf("stream: %w", err)
		}
		return nil
	}
	if err := s.writer.Healthy(); err != nil {
		// The last commit failed: try a write of our own, so that a
		// database that recovered (a disk with room again) is ready at
		// once rather than at the next request's commit.
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		perr := s.writer.Probe(pctx)
		cancel()
		if perr != nil {
			return fmt.Errorf("database: %w", err)
		}
		// Still behind the stream (it cannot be read back): every
		// event is refused until the writer has caught up.
		if err := s.writer.Healthy(); err != nil {
			return fmt.Errorf("database: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	tx, err := s.db.Write.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	tx.Rollback()
	// At its bound the outbox refuses every event: NATS is down, or
	// connected but not taking them (a full stream, no leader, a hung
	// server).
	if rows, bytes := s.outbox.Load(); rows >= s.cfg.Storage.OutboxMaxRows || bytes >= s.cfg.Storage.OutboxMaxBytes {
		if !s.nc.IsConnected() {
			return errNotReadyNATS
		}
		return errNotReadyOutbox
	}
	return nil
}

func (s *Server) readyz(c echo.Context) error {
	if err := s.ready(c.Request().Context()); err != nil {
		return c.String(http.StatusServiceUnavailable, "not ready: "+err.Error()+"\n")
	}
	return c.String(http.StatusOK, "ready\n")
}

// startAdmin opens the admin listener, unless admin.listen is "off".
func (s *Server) startAdmin() error {
	if s.cfg.Admin.Listen == "off" {
		return nil
	}
	routes, err := s.adminRoutes()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.Admin.Listen)
	if err != nil {
		return fmt.Errorf("admin listen: %w", err)
	}
	s.adminLn = ln
	s.admin = &http.Server{
		Handler:           routes,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	s.adminDone = make(chan struct{})
	go func() {
		defer close(s.adminDone)
		if err := s.admin.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("admin listener failed", "err", err)
		}
	}()
	return nil
}

// AdminAddr is the admin listener's address, or nil when it is off.
func (s *Server) AdminAddr() net.Addr {
	if s.adminLn == nil {
		return nil
	}
	return s.adminLn.Addr()
}
