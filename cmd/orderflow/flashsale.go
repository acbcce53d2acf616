package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/pkg/orderflow"
	"github.com/ferry-cdc/ferry/pkg/orderflow/flashsale"
	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

// flashConfig configures the `orderflow flash-sale` subcommands.
type flashConfig struct {
	common      `yaml:",inline"`
	RedisAddr   string        `yaml:"redis-addr"`
	FlashTopic  string        `yaml:"flash-topic"`
	SaleID      uint64        `yaml:"sale-id"`
	Scope       string        `yaml:"scope"`
	ProductID   uint64        `yaml:"product-id"`
	Units       int           `yaml:"units"`
	Price       string        `yaml:"price"`
	Listen      string        `yaml:"listen"`
	Group       string        `yaml:"flash-group"`
	MaxRate     float64       `yaml:"max-rate"`
	MaxBurst    int           `yaml:"max-burst"`
	Workers     int           `yaml:"workers"`
	Buyers      int           `yaml:"buyers"`
	Window      time.Duration `yaml:"window"`
	Concurrency int           `yaml:"concurrency"`
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
	sub := []*cobra.Command{
		{Use: "create", Short: "Create a sale for --product-id with --units at --price and load its stock into Redis",
			RunE: func(c *cobra.Command, _ []string) error { return runFlashCreate(c, cfg) }},
		{Use: "serve", Short: "Serve POST /flash-sales/{id}/buy for --sale-id on --listen",
			RunE: func(c *cobra.Command, _ []string) error { return runFlashServe(c, cfg) }},
		{Use: "workers", Short: "Create orders from won units at most --max-rate per second (pull consumer)",
			RunE: func(c *cobra.Command, _ []string) error { return runFlashWorkers(c, cfg) }},
		{Use: "burst", Short: "Send --buyers distinct buyers within --window to --sale-id (in-process gate)",
			RunE: func(c *cobra.Command, _ []string) error { return runFlashBurst(c, cfg) }},
		{Use: "reconcile", Short: "Compare the sale's Redis stock, its orders and the product's MariaDB stock",
			RunE: func(c *cobra.Command, _ []string) error { return runFlashReconcile(c, cfg) }},
	}
	for _, c := range sub {
		cfg.bind(c)
		cmd.AddCommand(c)
	}
	return cmd
}

func (cfg *flashConfig) bind(cmd *cobra.Command) {
	cfg.common.bind(cmd)
	fs := cmd.Flags()
	fs.StringVar(&cfg.RedisAddr, "redis-addr", cfg.RedisAddr, "Redis host:port")
	fs.StringVar(&cfg.FlashTopic, "flash-topic", cfg.FlashTopic, "RocketMQ topic of won units")
	fs.Uint64Var(&cfg.SaleID, "sale-id", cfg.SaleID, "flash_sales.id")
	fs.StringVar(&cfg.Scope, "scope", cfg.Scope, "Redis key scope (default: the DSN's database name)")
	fs.Uint64Var(&cfg.ProductID, "product-id", cfg.ProductID, "create: product sold (dedicate one to the sale)")
	fs.IntVar(&cfg.Units, "units", cfg.Units, "create: units for sale")
	fs.StringVar(&cfg.Price, "price", cfg.Price, "create: sale price")
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "serve: HTTP listen address")
	fs.StringVar(&cfg.Group, "flash-group", cfg.Group, "workers: consumer group")
	fs.Float64Var(&cfg.MaxRate, "max-rate", cfg.MaxRate, "workers: max orders created per second")
	fs.IntVar(&cfg.MaxBurst, "max-burst", cfg.MaxBurst, "workers: token-bucket burst")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "workers: goroutines sharing the rate cap")
	fs.IntVar(&cfg.Buyers, "buyers", cfg.Buyers, "burst: distinct buyers")
	fs.DurationVar(&cfg.Window, "window", cfg.Window, "burst: spread the buyers over this window")
	fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "burst: concurrent requests")
}

// setup loads settings and opens MariaDB and Redis.
func (cfg *flashConfig) setup(cmd *cobra.Command) (*flashEnv, error) {
	log, err := cfg.load(cmd, cfg)
	if err != nil {
		return nil, err
	}
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

func runFlashCreate(cmd *cobra.Command, cfg *flashConfig) error {
	e, err := cfg.setup(cmd)
	if err != nil {
		return err
	}
	defer e.close()
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

func runFlashServe(cmd *cobra.Command, cfg *flashConfig) error {
	e, err := cfg.setup(cmd)
	if err != nil {
		return err
	}
	defer e.close()
	gate, err := e.gate(cmd)
	if err != nil {
		return err
	}
	cfg.serveMetrics(cmd.Context(), e.reg, dbReady(e.db), e.log)
	return serveHTTP(cmd.Context(), cfg.Listen, flashsale.NewHandler(gate), e.log.Info)
}

func runFlashWorkers(cmd *cobra.Command, cfg *flashConfig) error {
	e, err := cfg.setup(cmd)
	if err != nil {
		return err
	}
	defer e.close()
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

func runFlashBurst(cmd *cobra.Command, cfg *flashConfig) error {
	e, err := cfg.setup(cmd)
	if err != nil {
		return err
	}
	defer e.close()
	gate, err := e.gate(cmd)
	if err != nil {
		return err
	}
	st, err := flashsale.RunBurst(cmd.Context(), gate, flashsale.Burst{SaleID: cfg.SaleID, Buyers: cfg.Buyers,
		Window: cfg.Window, Concurrency: cfg.Concurrency})
	if err != nil {
		return err
	}
	out, _ := json.MarshalIndent(st, "", "  ")
	fmt.Fprintln(cmd.OutOrStdout(), string(out))
	return nil
}

func runFlashReconcile(cmd *cobra.Command, cfg *flashConfig) error {
	e, err := cfg.setup(cmd)
	if err != nil {
		return err
	}
	defer e.close()
	sale, err := flashsale.LoadSale(cmd.Context(), e.db, cfg.SaleID, cfg.Scope)
	if err != nil {
		return err
	}
	rep, err := flashsale.Reconcile(cmd.Context(), e.db, e.rdb, sale)
	if err != nil {
		return err
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Fprintln(cmd.OutOrStdout(), string(out))
	if !rep.OK() {
		return fmt.Errorf("flash sale %d: %d differences", sale.ID, len(rep.Differences))
	}
	return nil
}
