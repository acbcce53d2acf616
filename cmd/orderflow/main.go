// Command orderflow is the order system whose database Ferry replicates: `serve` (HTTP order
// service + outbox relay), `consumers` (order-paid consumers), `closer` (expired-order closer),
// `seed` and `load` (workload generator), and `flash-sale` (Redis gate, peak-shaving workers,
// bursts, reconciliation). Settings come from defaults < --config YAML < FERRY_ORDERFLOW_*
// environment < flags; YAML keys are the flag names.
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/config"
	"github.com/ferry-cdc/ferry/pkg/mq"
	"github.com/ferry-cdc/ferry/pkg/obs"
)

// envPrefix prefixes environment variables: FERRY_ORDERFLOW_<FLAG_NAME>.
const envPrefix = "FERRY_ORDERFLOW_"

// defaultDSN is the local stack's source `shop` database. interpolateParams saves the
// prepare/close round trips of every statement with arguments.
const defaultDSN = "ferry:ferry@tcp(127.0.0.1:3307)/shop?parseTime=true&loc=UTC&interpolateParams=true&collation=utf8mb4_unicode_ci"

func main() {
	root := &cobra.Command{
		Use:           "orderflow",
		Short:         "The order system that produces Ferry's source changes",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newConsumersCmd(), newCloserCmd(), newSeedCmd(), newLoadCmd(), newFlashSaleCmd())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "orderflow:", err)
		os.Exit(1)
	}
}

// common holds the settings every subcommand shares.
type common struct {
	configFile  string
	DSN         string `yaml:"dsn"`
	NameServer  string `yaml:"name-server"`
	MetricsAddr string `yaml:"metrics-addr"`
	LogLevel    string `yaml:"log-level"`
	BrokerAddr  string `yaml:"broker-addr"`
	TopicQueues int    `yaml:"topic-queues"`
}

func defaultCommon() common {
	return common{DSN: defaultDSN, NameServer: "127.0.0.1:9876", MetricsAddr: "127.0.0.1:9104", LogLevel: "info",
		BrokerAddr: "127.0.0.1:10911", TopicQueues: 8}
}

func (c *common) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&c.configFile, "config", "", "YAML file with settings (keys are flag names)")
	fs.StringVar(&c.DSN, "dsn", c.DSN, "order database DSN (go-sql-driver form; prefer FERRY_ORDERFLOW_DSN, it holds a password)")
	fs.StringVar(&c.NameServer, "name-server", c.NameServer, "RocketMQ name server host:port")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "address of /metrics, /healthz, /readyz (empty: off)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.StringVar(&c.BrokerAddr, "broker-addr", c.BrokerAddr, "RocketMQ broker host:port, used to create missing topics")
	fs.IntVar(&c.TopicQueues, "topic-queues", c.TopicQueues, "queues of a topic created at startup (0: never create topics)")
}

// ensureTopic creates topic if it does not exist (consumers cannot start on a missing topic).
func (c *common) ensureTopic(ctx context.Context, topic string) error {
	if c.TopicQueues <= 0 {
		return nil
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := mq.EnsureTopic(tctx, c.NameServer, c.BrokerAddr, topic, c.TopicQueues); err != nil {
		return fmt.Errorf("ensure topic %s: %w (create it with the broker's admin tool, or check --broker-addr)", topic, err)
	}
	return nil
}

// load layers file/env/flags onto cfg (which embeds c) and returns a logger.
func (c *common) load(cmd *cobra.Command, cfg any) (*slog.Logger, error) {
	if err := config.Load(cmd.Flags(), c.configFile, envPrefix, cfg); err != nil {
		return nil, err
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", c.LogLevel)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	mq.SetLogger(log.With("lib", "rocketmq"))
	mq.SetLogLevel(max(lvl, slog.LevelWarn))
	return log, nil
}

// openDB opens and pings the order database; the DSN is never logged (it holds a password).
func (c *common) openDB(ctx context.Context, conns int) (*sql.DB, error) {
	db, err := sql.Open("mysql", c.DSN)
	if err != nil {
		return nil, fmt.Errorf("open order database: %w (check --dsn)", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(10 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to the order database: %w (is MariaDB up? check --dsn)", err)
	}
	return db, nil
}

// databaseName is the DSN's database, used to scope flash-sale Redis keys.
func (c *common) databaseName() string {
	_, after, ok := strings.Cut(c.DSN, ")/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(after, "?")
	return name
}

// dbReady is a /readyz check: the order database answers a ping within 2 s.
func dbReady(db *sql.DB) func() error {
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			return fmt.Errorf("order database: %w", err)
		}
		return nil
	}
}

// serveMetrics starts the metrics server (/metrics, /healthz, /readyz with ready) in the
// background unless the address is empty.
func (c *common) serveMetrics(ctx context.Context, reg *prometheus.Registry, ready func() error, log *slog.Logger) {
	if c.MetricsAddr == "" {
		return
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	go func() {
		if err := obs.Serve(ctx, c.MetricsAddr, reg, ready, log); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
}
