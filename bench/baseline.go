package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// ServeBaseline runs the baseline server: the gateway's HTTP stack (echo on
// net/http, the same timeouts) with a handler that reads the body and
// answers 200 with a small JSON body. It logs its address like the gateway
// and stops when ctx ends.
func ServeBaseline(ctx context.Context, listen string, log io.Writer) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("bench-baseline: %w", err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover())
	e.Any("/*", func(c echo.Context) error {
		if _, err := io.Copy(io.Discard, http.MaxBytesReader(c.Response(), c.Request().Body, 1<<20)); err != nil {
			return c.JSON(http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	slog.New(slog.NewTextHandler(log, nil)).Info("baseline listening", "addr", ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
