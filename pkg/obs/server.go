package obs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ShutdownTimeout bounds how long Serve waits for in-flight requests after its context ends.
const ShutdownTimeout = 5 * time.Second

// Serve listens on addr (for example "127.0.0.1:9101"; port 0 picks a free port) and serves
// /metrics from reg, /healthz and /readyz until ctx is done. ready may be nil (always ready).
// A failure to listen is returned at once; after ctx is done Serve returns nil once the server
// has shut down.
func Serve(ctx context.Context, addr string, reg prometheus.Gatherer, ready func() error, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w (choose a free address with the metrics-addr setting)", addr, err)
	}
	return ServeListener(ctx, ln, reg, ready, log)
}

// ServeListener is Serve on an already bound listener, which it closes. Tests and callers that
// need to know the chosen port before serving (port 0) bind the listener themselves.
func ServeListener(ctx context.Context, ln net.Listener, reg prometheus.Gatherer, ready func() error, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           Handler(reg, ready, log),
		ReadHeaderTimeout: 5 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	log.Info("serving metrics", "addr", ln.Addr().String(), "paths", "/metrics /healthz /readyz")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve metrics on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shut down metrics server on %s: %w", ln.Addr(), err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve metrics on %s: %w", ln.Addr(), err)
	}
	return nil
}
