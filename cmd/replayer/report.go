package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/cli"
	"github.com/ferry-cdc/ferry/pkg/report"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/source"
)

// reportConfig is the configuration of `replayer report`.
type reportConfig struct {
	sinkConfig     `yaml:",inline"`
	SourceDSN      string `yaml:"source-dsn" help:"source DSN (for --on-source)"`
	SourceDatabase string `yaml:"source-database" help:"source database the copy was made from"`
	OnSource       bool   `yaml:"on-source" help:"run against the source database instead of the copy"`
	Show           bool   `yaml:"show-sql" help:"print the query instead of running it"`
}

func newReportCmd() *cobra.Command {
	cfg := reportConfig{sinkConfig: defaultSinkConfig(), SourceDSN: "ferry:ferry@tcp(127.0.0.1:3307)/", SourceDatabase: "shop"}
	return app.Command(cli.Spec{
		Use:   "report NAME",
		Short: "Run a report query (schemas/reports) against the copy: " + strings.Join(report.Names(), ", "),
		Long: "Runs schemas/reports/<dialect>/NAME.sql against the MySQL copy's live views (--sink mysql, database\n" +
			"--view-database) or the ClickHouse copy (--sink clickhouse, database --copy-database, read FINAL without\n" +
			"tombstones), or against the source itself with --on-source, and prints the result as a table.",
		Args:   cobra.ExactArgs(1),
		Config: &cfg,
		Run: func(ctx context.Context, _ *cobra.Command, args []string, _ *slog.Logger) error {
			return runReport(ctx, cfg, args[0])
		},
	})
}

func runReport(ctx context.Context, cfg reportConfig, name string) error {
	dialect := report.MySQL
	if !cfg.OnSource {
		e, err := cfg.engine()
		if err != nil {
			return err
		}
		dialect = e.dialect
	}
	if cfg.Show {
		q, err := report.Query(dialect, name)
		if err == nil {
			fmt.Print(q)
		}
		return err
	}
	db, err := cfg.open()
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := report.Run(ctx, db, dialect, name)
	if err != nil {
		return err
	}
	return res.Write(os.Stdout)
}

// open connects to the database the report runs in.
func (c *reportConfig) open() (*sql.DB, error) {
	if c.OnSource {
		return openMySQLIn(c.SourceDSN, c.SourceDatabase)
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	return e.reportDB(&c.sinkConfig, c.SourceDatabase)
}

// openMySQLIn opens a MySQL server with UTC sessions and db as default database.
func openMySQLIn(dsn, db string) (*sql.DB, error) {
	mc, err := source.SessionConfig(dsn, db)
	if err != nil {
		return nil, err
	}
	mc.DBName = db
	return source.OpenConfig(mc, db)
}

// mapDB maps a copy/view database template to the database of source db.
func mapDB(template, db string) string { return sink.MapDatabase(template, db) }
