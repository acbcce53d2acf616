package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/cli"
	"github.com/ferry-cdc/ferry/pkg/orderflow/consumers"
	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

// consumersConfig configures `orderflow consumers`.
type consumersConfig struct {
	common       `yaml:",inline"`
	Names        []string `yaml:"consumers" help:"consumers to run: points, coupon, notification, shipment"`
	PaidTopic    string   `yaml:"paid-topic" help:"RocketMQ topic of order-paid messages"`
	GroupPrefix  string   `yaml:"group-prefix" help:"consumer group = <prefix>_<consumer>"`
	MaxReconsume int      `yaml:"max-reconsume" help:"redeliveries before the broker dead-letters a message (%DLQ%<group>)"`
}

func newConsumersCmd() *cobra.Command {
	d := consumers.DefaultConfig()
	cfg := &consumersConfig{common: defaultCommon(), Names: []string{"points", "coupon", "notification", "shipment"},
		PaidTopic: d.Topic, GroupPrefix: d.GroupPrefix, MaxReconsume: int(d.MaxRetries)}
	return cfg.command(cli.Spec{
		Use:   "consumers",
		Short: "Run the order-paid consumers (each in its own consumer group, idempotent by order id)",
	}, cfg, func(cmd *cobra.Command) error { return runConsumers(cmd, cfg) })
}

func runConsumers(cmd *cobra.Command, cfg *consumersConfig) error {
	log := cfg.log
	handlers, err := consumers.ByName(cfg.Names)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	if err := cfg.ensureTopic(ctx, cfg.PaidTopic); err != nil {
		return err
	}
	db, err := cfg.openDB(ctx, 16)
	if err != nil {
		return err
	}
	defer db.Close()
	reg := prometheus.NewRegistry()
	m := consumers.NewMetrics(reg)
	ccfg := consumers.Config{NameServer: cfg.NameServer, Topic: cfg.PaidTopic, GroupPrefix: cfg.GroupPrefix,
		MaxRetries: int32(cfg.MaxReconsume)}
	for _, h := range handlers {
		c, err := consumers.Start(db, h, ccfg, m, log.With("consumer", h.Name()))
		if err != nil {
			return err
		}
		defer c.Shutdown()
		log.Info("consumer started", "group", c.Group(), "topic", cfg.PaidTopic)
	}
	cfg.serveMetrics(ctx, reg, dbReady(db), log)
	<-ctx.Done()
	return nil
}

// closerConfig configures `orderflow closer`.
type closerConfig struct {
	common        `yaml:",inline"`
	CloseBatch    int           `yaml:"close-batch" help:"orders closed per round"`
	CloseInterval time.Duration `yaml:"close-interval" help:"pause between rounds when idle"`
	Once          bool          `yaml:"once" help:"close what is expired now and exit"`
}

func newCloserCmd() *cobra.Command {
	d := service.DefaultCloserConfig()
	cfg := &closerConfig{common: defaultCommon(), CloseBatch: d.Batch, CloseInterval: d.Interval}
	return cfg.command(cli.Spec{
		Use:   "closer",
		Short: "Close unpaid orders past expire_at in bounded batches (releases coupons, restores reserved stock)",
	}, cfg, func(cmd *cobra.Command) error { return runCloser(cmd, cfg) })
}
