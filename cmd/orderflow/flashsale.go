package main

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/cli"
	"github.com/ferry-cdc/ferry/pkg/orderflow"
	"github.com/ferry-cdc/ferry/pkg/orderflow/flashsale"
	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

// flashConfig configures the `orderflow flash-sale` subcommands.
type flashConfig struct {
	common      `yaml:",inline"`
	RedisAddr   string        `yaml:"redis-addr" help:"Redis host:port"`
	FlashTopic  string        `yaml:"flash-topic" help:"RocketMQ topic of won units"`
	SaleID      uint64        `yaml:"sale-id" help:"flash_sales.id"`
	Scope       string        `yaml:"scope" help:"Redis key scope (default: the DSN's database name)"`
	ProductID   uint64        `yaml:"product-id" help:"create: product sold (dedicate one to the sale)"`
	Units       int           `yaml:"units" help:"create: units for sale"`
	Price       string        `yaml:"price" help:"create: sale price"`
	Listen      string        `yaml:"listen" help:"serve: HTTP listen address"`
	Group       string        `yaml:"flash-group" help:"workers: consumer group"`
	MaxRate     float64       `yaml:"max-rate" help:"workers: max orders created per second"`
	MaxBurst    int           `yaml:"max-burst" help:"workers: token-bucket burst"`
	Workers     int           `yaml:"workers" help:"workers: goroutines sharing the rate cap"`
	Buyers      int           `yaml:"buyers" help:"burst: distinct buyers"`
	Window      time.Duration `yaml:"window" help:"burst: spread the buyers over this window"`
	Concurrency int           `yaml:"concurrency" help:"burst: concurrent requests"`
}

func newFlashSaleCmd() *cobra.Command {
	w := flashsale.DefaultWorkerConfig()
	cfg := &flashConfig{common: defaultCommon(), RedisAddr: "127.0.0.1:6379", FlashTopic: orderflow.TopicFlashSaleOrder,
		Units: 100, Price: "1.00", Listen: "127.0.0.1:8081", Group: w.Group, MaxRate: w.MaxRate, MaxBurst: w.Burst,
		Workers: w.Parallel, Buyers: 20000, Window: time.Second, Concurrency: 256}
	cmd := &cobra.Command{
		Use:   "flash-sale",
		Short: "Flash sale: Redis stock gate, peak-shaving order workers (pull consumer), bursts, reconciliation",
	}
	sub := []struct {
		spec cli.Spec
		run  func(*cobra.Command, *flashEnv) error
	}{
		{cli.Spec{Use: "create", Short: "Create a sale for --product-id with --units at --price and load its stock into Redis"}, runFlashCreate},
		{cli.Spec{Use: "serve", Short: "Serve POST /flash-sales/{id}/buy for --sale-id on --listen"}, runFlashServe},
		{cli.Spec{Use: "workers", Short: "Create orders from won units at most --max-rate per second (pull consumer)"}, runFlashWorkers},
		{cli.Spec{Use: "burst", Short: "Send --buyers distinct buyers within --window to --sale-id (in-process gate)"}, runFlashBurst},
		{cli.Spec{Use: "reconcile", Short: "Compare the sale's Redis stock, its orders and the product's MariaDB stock"}, runFlashReconcile},
	}
	for _, s := range sub {
		cmd.AddCommand(cfg.command(s.spec, cfg, func(c *cobra.Command) error { return cfg.withEnv(c, s.run) }))
	}
	return cmd
}

// withEnv runs one subcommand with MariaDB and Redis open and closes them after it.
func (cfg *flashConfig) withEnv(cmd *cobra.Command, run func(*cobra.Command, *flashEnv) error) error {
	e, err := cfg.setup(cmd)
	if err != nil {
		return err
	}
	defer e.close()
	return run(cmd, e)
}

// setup opens MariaDB and Redis (the keys are loaded by then).
func (cfg *flashConfig) setup(cmd *cobra.Command) (*flashEnv, error) {
	log := cfg.log
	if cfg.Scope == "" {
		cfg.Scope = cfg.databaseName()
	}
	db, err := cfg.openDB(cmd.Context(), 32)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewClient(&redis.Options{Addr: cfg.RedisAddr, PoolSize: max(cfg.Concurrency, 16)})
	if err := rdb.Ping(cmd.Context()).Err(); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to Redis at %s: %w (is it up? check --redis-addr)", cfg.RedisAddr, err)
	}
	return &flashEnv{cfg: cfg, log: log, db: db, rdb: rdb, reg: prometheus.NewRegistry()}, nil
}

func runFlashCreate(cmd *cobra.Command, e *flashEnv) error {
	cfg := e.cfg
	if err := cfg.ensureTopic(cmd.Context(), cfg.FlashTopic); err != nil {
		return err
	}
	sale, err := flashsale.CreateSale(cmd.Context(), e.db, cfg.ProductID, cfg.Price, cfg.Units, 24*time.Hour, cfg.Scope)
	if err == nil {
		err = flashsale.Preload(cmd.Context(), e.db, e.rdb, sale)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "flash sale %d: %d units of product %d at %s, loaded into Redis (scope %q)\n",
		sale.ID, sale.Stock, sale.ProductID, sale.Price, sale.Scope)
	return nil
}

func runFlashServe(cmd *cobra.Command, e *flashEnv) error {
	cfg := e.cfg
	gate, err := e.gate(cmd)
	if err != nil {
		return err
	}
	cfg.serveMetrics(cmd.Context(), e.reg, dbReady(e.db), e.log)
	return serveHTTP(cmd.Context(), cfg.Listen, flashsale.NewHandler(gate), e.log.Info)
}

func runFlashWorkers(cmd *cobra.Command, e *flashEnv) error {
	cfg := e.cfg
	svc, err := service.New(e.db, service.DefaultConfig(), e.log, service.WithMetrics(service.NewMetrics(e.reg)))
	if err != nil {
		return err
	}
	if err := cfg.ensureTopic(cmd.Context(), cfg.FlashTopic); err != nil {
		return err
	}
	w, err := flashsale.StartWorker(flashsale.WorkerConfig{NameServer: cfg.NameServer, Topic: cfg.FlashTopic, Group: cfg.Group,
		MaxRate: cfg.MaxRate, Burst: cfg.MaxBurst, Parallel: cfg.Workers}, svc, flashsale.NewMetrics(e.reg), e.log)
	if err != nil {
		return err
	}
	defer w.Shutdown()
	cfg.serveMetrics(cmd.Context(), e.reg, dbReady(e.db), e.log)
	e.log.Info("flash-sale workers running", "topic", cfg.FlashTopic, "group", cfg.Group, "max_rate", cfg.MaxRate)
	return w.Run(cmd.Context())
}

func runFlashBurst(cmd *cobra.Command, e *flashEnv) error {
	cfg := e.cfg
	gate, err := e.gate(cmd)
	if err != nil {
		return err
	}
	st, err := flashsale.RunBurst(cmd.Context(), gate, flashsale.Burst{SaleID: cfg.SaleID, Buyers: cfg.Buyers,
		Window: cfg.Window, Concurrency: cfg.Concurrency})
	if err != nil {
		return err
	}
	return printJSON(cmd, st)
}

func runFlashReconcile(cmd *cobra.Command, e *flashEnv) error {
	cfg := e.cfg
	sale, err := flashsale.LoadSale(cmd.Context(), e.db, cfg.SaleID, cfg.Scope)
	if err != nil {
		return err
	}
	rep, err := flashsale.Reconcile(cmd.Context(), e.db, e.rdb, sale)
	if err != nil {
		return err
	}
	if err := printJSON(cmd, rep); err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("flash sale %d: %d differences", sale.ID, len(rep.Differences))
	}
	return nil
}
