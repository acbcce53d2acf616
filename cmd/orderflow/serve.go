package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/cli"
	"github.com/ferry-cdc/ferry/pkg/orderflow/publish"
	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

// serveConfig configures `orderflow serve`.
type serveConfig struct {
	common        `yaml:",inline"`
	Listen        string        `yaml:"listen" help:"HTTP listen address of the order API"`
	OrderTTL      time.Duration `yaml:"order-ttl" help:"how long an unpaid order stays payable"`
	PaidTopic     string        `yaml:"paid-topic" help:"RocketMQ topic of order-paid messages"`
	SendMode      string        `yaml:"send-mode" help:"producer send mode: sync or async (oneway is refused: it can lose messages)"`
	SendRetries   int           `yaml:"send-retries" help:"client retries per send"`
	SendTimeout   time.Duration `yaml:"send-timeout" help:"timeout per send"`
	ProducerGroup string        `yaml:"producer-group" help:"RocketMQ producer group"`
	SweepInterval time.Duration `yaml:"outbox-sweep-interval" help:"how often the relay looks for unsent messages"`
	RetryAfter    time.Duration `yaml:"outbox-retry-after" help:"age of an unsent outbox row before the sweep re-sends it"`
	DBConns       int           `yaml:"db-conns" help:"max open database connections"`
}

func newServeCmd() *cobra.Command {
	s, p, r := service.DefaultConfig(), publish.DefaultConfig(), service.DefaultRelayConfig()
	cfg := &serveConfig{common: defaultCommon(), Listen: "127.0.0.1:8080", OrderTTL: s.OrderTTL, PaidTopic: s.PaidTopic,
		SendMode: string(p.Mode), SendRetries: p.Retries, SendTimeout: p.Timeout, ProducerGroup: p.Group,
		SweepInterval: r.SweepInterval, RetryAfter: r.RetryAfter, DBConns: 64}
	return cfg.command(cli.Spec{
		Use:   "serve",
		Short: "Run the HTTP order service and the order-paid outbox relay",
		Long: "Serves POST /orders, POST /orders/{id}/pay|refund|cancel, GET /orders/{id}, GET /users/{id}/orders.\n" +
			"Pay commits the order, payment, stock and an order_outbox row in one transaction, then sends the\n" +
			"order-paid message (send-mode sync by default); unsent rows are re-sent by the relay's sweep.",
	}, cfg, func(cmd *cobra.Command) error { return runServe(cmd, cfg) })
}

func runServe(cmd *cobra.Command, cfg *serveConfig) error {
	log := cfg.log
	ctx := cmd.Context()
	db, err := cfg.openDB(ctx, cfg.DBConns)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := cfg.ensureTopic(ctx, cfg.PaidTopic); err != nil {
		return err
	}
	pcfg := publish.Config{NameServer: cfg.NameServer, Group: cfg.ProducerGroup, Mode: publish.Mode(cfg.SendMode),
		Retries: cfg.SendRetries, Timeout: cfg.SendTimeout}
	pub, err := publish.NewRocketMQ(pcfg)
	if err != nil {
		return err
	}
	defer pub.Shutdown()
	reg := prometheus.NewRegistry()
	m := service.NewMetrics(reg)
	relay, err := service.NewRelay(db, pub, service.RelayConfig{SweepInterval: cfg.SweepInterval, RetryAfter: cfg.RetryAfter,
		Batch: service.DefaultRelayConfig().Batch}, m, log.With("part", "outbox"))
	if err != nil {
		return err
	}
	scfg := service.DefaultConfig()
	scfg.OrderTTL, scfg.PaidTopic = cfg.OrderTTL, cfg.PaidTopic
	svc, err := service.New(db, scfg, log, service.WithRelay(relay), service.WithMetrics(m))
	if err != nil {
		return err
	}
	cfg.serveMetrics(ctx, reg, dbReady(db), log)
	go func() { _ = relay.Run(ctx) }()
	return serveHTTP(ctx, cfg.Listen, service.NewHandler(svc), log.Info)
}

// serveHTTP serves h on addr until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, addr string, h http.Handler, info func(string, ...any)) error {
	srv := service.Server(addr, h)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	info("listening", "addr", addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
