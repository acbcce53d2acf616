// Command replayer applies Ferry's change stream to a copy database: `replayer run --sink
// mysql|clickhouse` consumes the RocketMQ topic, `replayer schema` creates or migrates the copy
// tables from the source schema, `replayer ddl skip` marks a halted DDL statement as handled.
// Settings come from defaults < --config YAML < FERRY_REPLAYER_* environment < flags.
package main

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/cli"
	"github.com/ferry-cdc/ferry/internal/config"
	"github.com/ferry-cdc/ferry/pkg/replayer"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/chsink"
	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// app is the replayer's command scaffold: FERRY_REPLAYER_<KEY> environment variables, JSON logs.
var app = cli.App{EnvPrefix: "FERRY_REPLAYER_", JSON: true, Help: config.Help{
	reflect.TypeFor[replayer.Config](): replayerHelp,
	reflect.TypeFor[verify.Config]():   verifyHelp,
}}

func main() {
	cli.Main(newRootCmd(), func(err error) int {
		if errors.Is(err, replayer.ErrHalted) {
			return 3
		}
		return 1
	})
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

// sinkConfig is the flat configuration of the sink side, shared by subcommands.
type sinkConfig struct {
	Sink               string        `yaml:"sink" help:"copy to write: mysql or clickhouse"`
	MySQLDSN           string        `yaml:"mysql-dsn" help:"MySQL copy DSN (go-sql-driver form, database part ignored)"`
	ClickHouseAddr     string        `yaml:"clickhouse-addr" help:"ClickHouse native address"`
	ClickHouseUser     string        `yaml:"clickhouse-user" help:"ClickHouse user"`
	ClickHousePassword string        `yaml:"clickhouse-password" help:"ClickHouse password (prefer FERRY_REPLAYER_CLICKHOUSE_PASSWORD)"`
	CopyDatabase       string        `yaml:"copy-database" help:"copy database; {db} = source database"`
	ViewDatabase       string        `yaml:"view-database" help:"database of tombstone-hiding views; {db} = source database"`
	StatementRows      int           `yaml:"statement-rows" help:"MySQL: max rows per INSERT statement"`
	StatementBytes     int           `yaml:"statement-bytes" help:"MySQL: max value bytes per INSERT statement"`
	QueryTimeout       time.Duration `yaml:"query-timeout" help:"ClickHouse: deadline of every statement"`
	DDLPolicy          string        `yaml:"ddl-policy" help:"DDL policy overrides KIND=apply|ignore|halt,... on top of ALTER=apply,CINDEX=ignore,CREATE=apply,DINDEX=ignore,ERASE=halt,QUERY=halt,RENAME=apply,TRUNCATE=apply"`
}

func defaultSinkConfig() sinkConfig {
	m, c := mysqlsink.DefaultConfig(), chsink.DefaultConfig()
	return sinkConfig{
		Sink: sinkMySQL, MySQLDSN: m.DSN, ClickHouseAddr: c.Addr, ClickHouseUser: c.User,
		CopyDatabase: m.CopyDatabase, ViewDatabase: m.ViewDatabase,
		StatementRows: m.StatementRows, StatementBytes: m.StatementBytes, QueryTimeout: c.QueryTimeout,
	}
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
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	return e.open(ctx, c, policy, log.With("sink", c.Sink))
}
