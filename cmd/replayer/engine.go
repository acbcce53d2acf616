package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ferry-cdc/ferry/pkg/report"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/chsink"
	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// Sink names.
const (
	sinkMySQL      = mysqlsink.Name
	sinkClickHouse = chsink.Name
)

// engine is what the subcommands need of one copy engine; the engine packages own the SQL.
// engines is the one place in the command that knows which engines there are.
type engine struct {
	metricsAddr string         // default --metrics-addr of `replayer run`
	dialect     report.Dialect // dialect of the report queries on this copy
	// open opens the sink (run, schema, ddl skip).
	open func(ctx context.Context, c *sinkConfig, policy sink.DDLPolicy, log *slog.Logger) (sinkHandle, error)
	// openDB opens the copy server through database/sql without a default database (verify, sweep).
	openDB func(c *sinkConfig) (*sql.DB, error)
	// reportDB opens the database the reports of source database sourceDB read.
	reportDB func(c *sinkConfig, sourceDB string) (*sql.DB, error)
	// reader is verify's reader of the copy.
	reader func(db *sql.DB, copyDatabase string) verify.Copy
	// sweep tombstones the live rows of copyDB.table older than version.
	sweep func(ctx context.Context, db *sql.DB, copyDB, table string, version uint64) (int64, error)
	// tableSQL returns the copy table's CREATE statement and its view (schema --out); header is
	// an extra comment line for the file ("" for none).
	tableSQL func(s sinkHandle, copyDB, viewDB string, t *sink.Table, cols []string) (ddl, view string, err error)
	header   func(s sinkHandle) string
}

var engines = map[string]*engine{
	sinkMySQL: {
		metricsAddr: "127.0.0.1:9102",
		dialect:     report.MySQL,
		open: func(ctx context.Context, c *sinkConfig, policy sink.DDLPolicy, log *slog.Logger) (sinkHandle, error) {
			m := mysqlsink.DefaultConfig()
			m.DSN, m.CopyDatabase, m.ViewDatabase = c.MySQLDSN, c.CopyDatabase, c.ViewDatabase
			m.StatementRows, m.StatementBytes, m.DDLPolicy = c.StatementRows, c.StatementBytes, policy
			return mysqlsink.Open(ctx, m, log)
		},
		openDB: func(c *sinkConfig) (*sql.DB, error) { return mysqlsink.OpenDB(c.MySQLDSN) },
		reportDB: func(c *sinkConfig, sourceDB string) (*sql.DB, error) {
			return openMySQLIn(c.MySQLDSN, mapDB(c.ViewDatabase, sourceDB))
		},
		reader: func(db *sql.DB, copyDatabase string) verify.Copy {
			return &mysqlsink.Reader{DB: db, Database: copyDatabase}
		},
		sweep: mysqlsink.Sweep,
		tableSQL: func(_ sinkHandle, copyDB, viewDB string, t *sink.Table, cols []string) (string, string, error) {
			ddl, err := mysqlsink.CopyTableSQL(copyDB, t)
			return ddl, mysqlsink.ViewSQL(viewDB, copyDB, t.Name, cols), err
		},
		header: func(sinkHandle) string { return "" },
	},
	sinkClickHouse: {
		metricsAddr: "127.0.0.1:9103",
		dialect:     report.ClickHouse,
		open: func(ctx context.Context, c *sinkConfig, policy sink.DDLPolicy, log *slog.Logger) (sinkHandle, error) {
			ch := chsink.DefaultConfig()
			ch.Addr, ch.User, ch.Password = c.ClickHouseAddr, c.ClickHouseUser, c.ClickHousePassword
			ch.CopyDatabase, ch.ViewDatabase, ch.QueryTimeout, ch.DDLPolicy = c.CopyDatabase, c.ViewDatabase, c.QueryTimeout, policy
			return chsink.Open(ctx, ch, log)
		},
		openDB: func(c *sinkConfig) (*sql.DB, error) { return openClickHouse(c, "default"), nil },
		reportDB: func(c *sinkConfig, sourceDB string) (*sql.DB, error) {
			return openClickHouse(c, mapDB(c.CopyDatabase, sourceDB)), nil
		},
		reader: func(db *sql.DB, copyDatabase string) verify.Copy {
			return &chsink.Reader{DB: db, Database: copyDatabase}
		},
		sweep: chsink.Sweep,
		tableSQL: func(s sinkHandle, copyDB, viewDB string, t *sink.Table, cols []string) (string, string, error) {
			ddl, err := chsink.CopyTableSQL(copyDB, t, s.(*chsink.Sink).Features())
			return ddl, chsink.ViewSQL(viewDB, copyDB, t.Name, cols), err
		},
		header: func(s sinkHandle) string {
			hs := s.(*chsink.Sink)
			return fmt.Sprintf("-- ClickHouse server %s, features %+v (types per schemas/clickhouse-types.md).\n", hs.ServerVersion(), hs.Features())
		},
	},
}

// engine returns the configured engine.
func (c *sinkConfig) engine() (*engine, error) {
	if e, ok := engines[c.Sink]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("unknown sink %q: use --sink mysql or --sink clickhouse", c.Sink)
}

// openClickHouse opens the ClickHouse copy server as database/sql with db as default database.
func openClickHouse(c *sinkConfig, db string) *sql.DB {
	return clickhouse.OpenDB(&clickhouse.Options{Addr: []string{c.ClickHouseAddr},
		Auth:        clickhouse.Auth{Database: db, Username: c.ClickHouseUser, Password: c.ClickHousePassword},
		DialTimeout: 10 * time.Second, ReadTimeout: c.QueryTimeout})
}
