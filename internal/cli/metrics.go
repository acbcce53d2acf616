package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ferry-cdc/ferry/pkg/obs"
)

// Metrics is a running /metrics, /healthz, /readyz server.
type Metrics struct {
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// NewRegistry returns a registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// ServeMetrics listens on addr (an error names the flag to change) and serves reg with the ready
// check in the background until Stop. The server outlives ctx's cancellation on purpose: the
// caller stops it after its component has drained, so the last scrape sees the final values.
func ServeMetrics(ctx context.Context, addr string, reg prometheus.Gatherer, ready func() error, log *slog.Logger) (*Metrics, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics on %s: %w (choose a free address with --metrics-addr)", addr, err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m := &Metrics{cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- obs.ServeListener(sctx, ln, reg, ready, log) }()
	return m, nil
}

// Stop stops the server and returns its error, if it failed. Calling it again returns the same
// result (so a deferred Stop may back up an explicit one).
func (m *Metrics) Stop() error {
	m.once.Do(func() {
		m.cancel()
		if err := <-m.done; err != nil && !errors.Is(err, context.Canceled) {
			m.err = fmt.Errorf("metrics server: %w", err)
		}
	})
	return m.err
}
