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
)

// baselineMaxBody bounds the body the baseline reads, as a plain server
// would (the gateway's own limit is per provider).
const baselineMaxBody = 1 << 20

// BaselineHandler is the baseline: the plain net/http handler a user would
// otherwise write. It reads the body (at most 1 MiB; a larger one is
// answered 413) and answers 200 with an empty body.
func BaselineHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, baselineMaxBody)); err != nil {
			http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// ServeBaseline runs the baseline server: a plain net/http server with the
// gateway's default timeouts and BaselineHandler on every path. It logs its
// address like the gateway and stops when ctx ends.
func ServeBaseline(ctx context.Context, listen string, log io.Writer) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("bench-baseline: %w", err)
	}
	srv := &http.Server{Handler: BaselineHandler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
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
