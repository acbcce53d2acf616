// Command replayer applies Ferry's change stream to a copy database: `replayer run --sink
// mysql|clickhouse` consumes the RocketMQ topic, `replayer schema` creates or migrates the copy
// tables from the source schema, `replayer ddl skip` marks a halted DDL statement as handled.
// Settings come from defaults < --config YAML < FERRY_REPLAYER_* environment < flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ferry-cdc/ferry/internal/config"
	"github.com/ferry-cdc/ferry/pkg/replayer"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/chsink"
	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
)

// envPrefix prefixes environment variables: FERRY_REPLAYER_<FLAG_NAME>.
const envPrefix = "FERRY_REPLAYER_"

// Sink names.
const (
	sinkMySQL      = "mysql"
	sinkClickHouse = "clickhouse"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "replayer:", err)
		if errors.Is(err, replayer.ErrHalted) {
			os.Exit(3)
		}
		os.Exit(1)
	}
}

// newRootCmd returns the replayer command tree.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "replayer",
		Short:         "Apply Ferry change events to a MySQL or ClickHouse copy",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRunCmd(), newSchemaCmd(), newDDLCmd(), newVerifyCmd(), newSweepCmd(), newReportCmd())
	return root
}

// sinkConfig is the flat, flag-bound configuration of the sink side, shared by subcommands.
type sinkConfig struct {
	Sink               string        `yaml:"sink"`
	MySQLDSN           string        `yaml:"mysql-dsn"`
	ClickHouseAddr     string        `yaml:"clickhouse-addr"`
	ClickHouseUser     string        `yaml:"clickhouse-user"`
	ClickHousePassword string        `yaml:"clickhouse-password"`
	CopyDatabase       string        `yaml:"copy-database"`
	ViewDatabase       string        `yaml:"view-database"`
	StatementRows      int           `yaml:"statement-rows"`
	StatementBytes     int           `yaml:"statement-bytes"`
	QueryTimeout       time.Duration `yaml:"query-timeout"`
	DDLPolicy          string        `yaml:"ddl-policy"`
	LogLevel           string        `yaml:"log-level"`
}

func defaultSinkConfig() sinkConfig {
	m, c := mysqlsink.DefaultConfig(), chsink.DefaultConfig()
	return sinkConfig{
		Sink: sinkMySQL, MySQLDSN: m.DSN, ClickHouseAddr: c.Addr, ClickHouseUser: c.User,
		CopyDatabase: m.CopyDatabase, ViewDatabase: m.ViewDatabase,
		StatementRows: m.StatementRows, StatementBytes: m.StatementBytes, QueryTimeout: c.QueryTimeout,
		LogLevel: "info",
	}
}

func (c *sinkConfig) bind(fs *pflag.FlagSet) {
	fs.StringVar(&c.Sink, "sink", c.Sink, "copy to write: mysql or clickhouse")
	fs.StringVar(&c.MySQLDSN, "mysql-dsn", c.MySQLDSN, "MySQL copy DSN (go-sql-driver form, database part ignored)")
	fs.StringVar(&c.ClickHouseAddr, "clickhouse-addr", c.ClickHouseAddr, "ClickHouse native address")
	fs.StringVar(&c.ClickHouseUser, "clickhouse-user", c.ClickHouseUser, "ClickHouse user")
	fs.StringVar(&c.ClickHousePassword, "clickhouse-password", c.ClickHousePassword, "ClickHouse password (prefer FERRY_REPLAYER_CLICKHOUSE_PASSWORD)")
	fs.StringVar(&c.CopyDatabase, "copy-database", c.CopyDatabase, "copy database; {db} = source database")
	fs.StringVar(&c.ViewDatabase, "view-database", c.ViewDatabase, "database of tombstone-hiding views; {db} = source database")
	fs.IntVar(&c.StatementRows, "statement-rows", c.StatementRows, "MySQL: max rows per INSERT statement")
	fs.IntVar(&c.StatementBytes, "statement-bytes", c.StatementBytes, "MySQL: max value bytes per INSERT statement")
	fs.DurationVar(&c.QueryTimeout, "query-timeout", c.QueryTimeout, "ClickHouse: deadline of every statement")
	fs.StringVar(&c.DDLPolicy, "ddl-policy", c.DDLPolicy, "DDL policy overrides KIND=apply|ignore|halt,... (default "+sink.DefaultDDLPolicy().String()+")")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
}

// sinkHandle is an opened sink with the operations the subcommands need.
type sinkHandle interface {
	sink.Sink
	EnsureTables(ctx context.Context, tables []*sink.Table) ([]string, error)
	SkipDDL(ctx context.Context, sourceDB string, version uint64, note string) error
}

// openSink opens the configured sink.
func (c *sinkConfig) openSink(ctx context.Context, log *slog.Logger) (sinkHandle, error) {
	policy, err := sink.ParseDDLPolicy(c.DDLPolicy)
	if err != nil {
		return nil, err
	}
	switch c.Sink {
	case sinkMySQL:
		m := mysqlsink.DefaultConfig()
		m.DSN, m.CopyDatabase, m.ViewDatabase = c.MySQLDSN, c.CopyDatabase, c.ViewDatabase
		m.StatementRows, m.StatementBytes, m.DDLPolicy = c.StatementRows, c.StatementBytes, policy
		return mysqlsink.Open(ctx, m, log.With("sink", sinkMySQL))
	case sinkClickHouse:
		ch := chsink.DefaultConfig()
		ch.Addr, ch.User, ch.Password = c.ClickHouseAddr, c.ClickHouseUser, c.ClickHousePassword
		ch.CopyDatabase, ch.ViewDatabase, ch.QueryTimeout, ch.DDLPolicy = c.CopyDatabase, c.ViewDatabase, c.QueryTimeout, policy
		return chsink.Open(ctx, ch, log.With("sink", sinkClickHouse))
	}
	return nil, fmt.Errorf("unknown sink %q: use --sink mysql or --sink clickhouse", c.Sink)
}

// newLogger returns a JSON logger on stderr at the configured level.
func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

// load applies config file, environment and flags onto cfg.
func load(cmd *cobra.Command, file string, cfg any) error {
	return config.Load(cmd.Flags(), file, envPrefix, cfg)
}
