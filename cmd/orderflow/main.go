// Command orderflow is the order system whose database Ferry replicates: `serve` (HTTP order
// service + outbox relay), `consumers` (order-paid consumers), `closer` (expired-order closer),
// `seed` and `load` (workload generator), and `flash-sale` (Redis gate, peak-shaving workers,
// bursts, reconciliation). Settings come from defaults < --config YAML < FERRY_ORDERFLOW_*
// environment < flags; YAML keys are the flag names.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/cli"
	"github.com/ferry-cdc/ferry/internal/config"
	"github.com/ferry-cdc/ferry/pkg/mq"
	"github.com/ferry-cdc/ferry/pkg/orderflow/load"
)

// app is orderflow's command scaffold: FERRY_ORDERFLOW_<KEY> environment variables.
var app = cli.App{EnvPrefix: "FERRY_ORDERFLOW_", Help: config.Help{
	reflect.TypeFor[load.Config]():     loadHelp,
	reflect.TypeFor[load.Mix]():        mixHelp,
	reflect.TypeFor[load.SeedConfig](): seedHelp,
}}

// defaultDSN is the local stack's source `shop` database. interpolateParams saves the
// prepare/close round trips of every statement with arguments.
const defaultDSN = "ferry:ferry@tcp(127.0.0.1:3307)/shop?parseTime=true&loc=UTC&interpolateParams=true&collation=utf8mb4_unicode_ci"

func main() { cli.Main(newRootCmd(), nil) }

// newRootCmd returns orderflow's command tree.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{Use: "orderflow", Short: "The order system that produces Ferry's source changes"}
	root.AddCommand(newServeCmd(), newConsumersCmd(), newCloserCmd(), newSeedCmd(), newLoadCmd(), newFlashSaleCmd())
	return root
}

// common holds the settings every subcommand shares.
type common struct {
	DSN         string `yaml:"dsn" help:"order database DSN (go-sql-driver form; prefer FERRY_ORDERFLOW_DSN, it holds a password)"`
	NameServer  string `yaml:"name-server" help:"RocketMQ name server host:port"`
	MetricsAddr string `yaml:"metrics-addr" help:"address of /metrics, /healthz, /readyz (empty: off)"`
	BrokerAddr  string `yaml:"broker-addr" help:"RocketMQ broker host:port, used to create missing topics"`
	TopicQueues int    `yaml:"topic-queues" help:"queues of a topic created at startup (0: never create topics)"`
	log         *slog.Logger
}

func defaultCommon() common {
	return common{DSN: defaultDSN, NameServer: "127.0.0.1:9876", MetricsAddr: "127.0.0.1:9104",
		BrokerAddr: "127.0.0.1:10911", TopicQueues: 8}
}

// command builds a subcommand whose keys are the fields of cfg (a struct embedding c); run gets
// the command once the keys are loaded, c.log is set and the RocketMQ client logs through it.
func (c *common) command(spec cli.Spec, cfg any, run func(*cobra.Command) error) *cobra.Command {
	spec.Config = cfg
	spec.Run = func(ctx context.Context, cmd *cobra.Command, _ []string, log *slog.Logger) error {
		c.log = log
		mq.SetLogger(log.With("lib", "rocketmq"))
		mq.SetLogLevel(slog.LevelWarn)
		if log.Enabled(ctx, slog.LevelError) && !log.Enabled(ctx, slog.LevelWarn) {
			mq.SetLogLevel(slog.LevelError)
		}
		cmd.SetContext(ctx)
		return run(cmd)
	}
	return app.Command(spec)
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
	m, err := cli.ServeMetrics(ctx, c.MetricsAddr, reg, ready, log)
	if err != nil {
		log.Error("metrics server not started", "err", err)
		return
	}
	go func() {
		<-ctx.Done()
		if err := m.Stop(); err != nil {
			log.Error("metrics server stopped", "err", err)
		}
	}()
}

// printJSON writes v, indented, as one JSON document on the command's standard output.
func printJSON(cmd *cobra.Command, v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), string(out))
	return nil
}
