package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/pkg/orderflow/consumers"
	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

// consumersConfig configures `orderflow consumers`.
type consumersConfig struct {
	common       `yaml:",inline"`
	Names        []string `yaml:"consumers"`
	PaidTopic    string   `yaml:"paid-topic"`
	GroupPrefix  string   `yaml:"group-prefix"`
	MaxReconsume int      `yaml:"max-reconsume"`
}

func newConsumersCmd() *cobra.Command {
	d := consumers.DefaultConfig()
	cfg := &consumersConfig{common: defaultCommon(), Names: []string{"points", "coupon", "notification", "shipment"},
		PaidTopic: d.Topic, GroupPrefix: d.GroupPrefix, MaxReconsume: int(d.MaxRetries)}
	cmd := &cobra.Command{
		Use:   "consumers",
		Short: "Run the order-paid consumers (each in its own consumer group, idempotent by order id)",
		RunE:  func(cmd *cobra.Command, _ []string) error { return runConsumers(cmd, cfg) },
	}
	cfg.common.bind(cmd)
	fs := cmd.Flags()
	fs.StringSliceVar(&cfg.Names, "consumers", cfg.Names, "consumers to run: points, coupon, notification, shipment")
	fs.StringVar(&cfg.PaidTopic, "paid-topic", cfg.PaidTopic, "RocketMQ topic of order-paid messages")
	fs.StringVar(&cfg.GroupPrefix, "group-prefix", cfg.GroupPrefix, "consumer group = <prefix>_<consumer>")
	fs.IntVar(&cfg.MaxReconsume, "max-reconsume", cfg.MaxReconsume, "redeliveries before the broker dead-letters a message (%DLQ%<group>)")
	return cmd
}

func runConsumers(cmd *cobra.Command, cfg *consumersConfig) error {
	log, err := cfg.load(cmd, cfg)
	if err != nil {
		return err
	}
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
	CloseBatch    int           `yaml:"close-batch"`
	CloseInterval time.Duration `yaml:"close-interval"`
	Once          bool          `yaml:"once"`
}

func newCloserCmd() *cobra.Command {
	d := service.DefaultCloserConfig()
	cfg := &closerConfig{common: defaultCommon(), CloseBatch: d.Batch, CloseInterval: d.Interval}
	cmd := &cobra.Command{
		Use:   "closer",
		Short: "Close unpaid orders past expire_at in bounded batches (releases coupons, restores reserved stock)",
		RunE:  func(cmd *cobra.Command, _ []string) error { return runCloser(cmd, cfg) },
	}
	cfg.common.bind(cmd)
	fs := cmd.Flags()
	fs.IntVar(&cfg.CloseBatch, "close-batch", cfg.CloseBatch, "orders closed per round")
	fs.DurationVar(&cfg.CloseInterval, "close-interval", cfg.CloseInterval, "pause between rounds when idle")
	fs.BoolVar(&cfg.Once, "once", false, "close what is expired now and exit")
	return cmd
}
