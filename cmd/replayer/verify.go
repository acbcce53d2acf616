package main

// replayer verify and replayer sweep: see docs/operations-backfill-verify.md.
// Register with root.AddCommand(newVerifyCmd(), newSweepCmd(), newReportCmd()) in main.go.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/cli"
	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/canal"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/obs"
	"github.com/ferry-cdc/ferry/pkg/source"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// errMismatch is returned when verify found differing keys (exit status 1).
var errMismatch = errors.New("copy differs from the source")

// verifyHelp documents the keys of verify.Config (declared in pkg/verify by their yaml tags).
var verifyHelp = map[string]string{
	"chunk-rows":      "source rows per checksum chunk",
	"diff-rows":       "bisect mismatching chunks down to this many rows, then compare row by row",
	"max-diff-keys":   "report at most this many differing keys per table",
	"retries":         "re-checks of differing keys before they are reported",
	"retry-interval":  "wait before each re-check",
	"parallel":        "chunks compared at the same time",
	"exclude-columns": "the tailer's exclude-columns globs (db.table.column): not compared, not repaired",
}

// verifyConfig is the configuration of `replayer verify`.
type verifyConfig struct {
	sinkConfig    `yaml:",inline"`
	verify.Config `yaml:",inline"`
	SourceDSN     string        `yaml:"source-dsn" help:"source DSN (SELECT; RELOAD too for --repair)"`
	Tables        []string      `yaml:"table" help:"db.table, or a database for all its tables (repeatable)"`
	Repair        bool          `yaml:"repair" help:"re-snapshot differing keys through the change topic"`
	NameServer    string        `yaml:"name-server" help:"--repair: RocketMQ name server"`
	Topic         string        `yaml:"topic" help:"--repair: change-event topic"`
	Epoch         int           `yaml:"epoch" help:"--repair: version epoch (default: from --tailer-data-dir's checkpoint, else 0)"`
	TailerDataDir string        `yaml:"tailer-data-dir" help:"--repair: the tailer's data dir, to read the current epoch"`
	MetricsAddr   string        `yaml:"metrics-addr" help:"serve /metrics here while verifying (e.g. 127.0.0.1:9108)"`
	MetricsLinger time.Duration `yaml:"metrics-linger" help:"keep serving /metrics this long after the run (for a scrape)"`
	MetricsFile   string        `yaml:"metrics-textfile" help:"write the metrics in text format to this file at the end"`
}

func newVerifyCmd() *cobra.Command {
	tc := canal.DefaultConfig()
	cfg := verifyConfig{sinkConfig: defaultSinkConfig(), Config: verify.DefaultConfig(),
		SourceDSN: "ferry:ferry@tcp(127.0.0.1:3307)/", Tables: []string{"shop"}, NameServer: tc.NameServer, Topic: tc.Topic, Epoch: -1}
	return app.Command(cli.Spec{
		Use:   "verify",
		Short: "Compare the copy with the source per primary-key chunk; print differing keys; --repair re-snapshots them",
		Long: "Per primary-key chunk, counts rows and checksums them (XOR and sum of a 64-bit hash of each row's\n" +
			"canonical text) on the source and on the copy (tombstones excluded, FINAL on ClickHouse); mismatching\n" +
			"chunks are bisected down to keys, which are re-checked --retries times --retry-interval apart (a live\n" +
			"source's in-flight changes settle) before they are reported. Exit status 1 when keys differ.\n" +
			"--repair publishes the differing keys' current source rows (deletes for keys the source lacks) into\n" +
			"the change topic as snapshot rows, waits for the replayer to apply them and re-checks.",
		Config: &cfg,
		Run: func(ctx context.Context, _ *cobra.Command, _ []string, log *slog.Logger) error {
			return runVerify(ctx, cfg, log)
		},
	})
}

func runVerify(ctx context.Context, cfg verifyConfig, log *slog.Logger) error {
	src, err := source.Open(cfg.SourceDSN)
	if err != nil {
		return err
	}
	defer src.Close()
	cp, closeCopy, err := cfg.openCopy()
	if err != nil {
		return err
	}
	defer closeCopy()
	reg := prometheus.NewRegistry()
	stopMetrics := serveMetrics(ctx, cfg.MetricsAddr, reg, log)
	var rep verify.Repairer
	if cfg.Repair {
		r, closeRep, err := cfg.repairer(ctx, src, log)
		if err != nil {
			return err
		}
		defer closeRep()
		rep = r
	}
	v, err := verify.New(cfg.Config, src, cp, rep, verify.NewMetrics(reg), log)
	if err != nil {
		return err
	}
	results, err := verifyTables(ctx, v, cfg.Tables)
	if werr := verify.WriteSummary(os.Stdout, results); werr != nil && err == nil {
		err = werr
	}
	if cfg.MetricsFile != "" {
		if ferr := prometheus.WriteToTextfile(cfg.MetricsFile, reg); ferr != nil && err == nil {
			err = fmt.Errorf("write metrics: %w", ferr)
		}
	}
	stopMetrics(cfg.MetricsLinger)
	return err
}

// verifyTables verifies every table; a table that differs makes the result errMismatch.
func verifyTables(ctx context.Context, v *verify.Verifier, names []string) ([]*verify.TableResult, error) {
	tables, err := v.Tables(ctx, names)
	if err != nil {
		return nil, err
	}
	var results []*verify.TableResult
	bad := 0
	for _, t := range tables {
		r, err := v.Table(ctx, t)
		if err != nil {
			return results, fmt.Errorf("verify %s: %w", t, err)
		}
		results = append(results, r)
		if !r.OK() {
			bad++
		}
	}
	if bad > 0 {
		return results, fmt.Errorf("%w: %d of %d tables have differing keys (see above; --repair re-snapshots them)", errMismatch, bad, len(results))
	}
	return results, nil
}

// openCopy connects to the configured copy for reading.
func (c *verifyConfig) openCopy() (verify.Copy, func(), error) {
	e, err := c.engine()
	if err != nil {
		return nil, nil, err
	}
	db, err := e.openDB(&c.sinkConfig)
	if err != nil {
		return nil, nil, err
	}
	return e.reader(db, c.CopyDatabase), func() { db.Close() }, nil
}

// repairer builds the backfill-based Repairer publishing into the change topic.
func (c *verifyConfig) repairer(ctx context.Context, src *sql.DB, log *slog.Logger) (verify.Repairer, func(), error) {
	epoch := c.Epoch
	if epoch < 0 {
		epoch = 0
		if c.TailerDataDir != "" {
			st, err := checkpoint.Load(c.TailerDataDir)
			if err != nil {
				return nil, nil, err
			}
			if st != nil {
				epoch = int(st.Epoch)
			}
		}
	}
	tc := canal.DefaultConfig()
	tc.NameServer, tc.Topic, tc.ProducerGroup = c.NameServer, c.Topic, "ferry_verify_repair"
	pub, err := backfill.NewCanalPublisher(ctx, tc, log)
	if err != nil {
		return nil, nil, err
	}
	bc := backfill.DefaultConfig()
	bc.Epoch, bc.CheckpointDir = uint8(epoch), os.TempDir()
	bc.ExcludeColumns = c.ExcludeColumns // repairs publish what the tailer publishes
	b, err := backfill.New(bc, src, pub, nil, log, nil)
	if err != nil {
		return nil, nil, err
	}
	closeFn := func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = pub.Close(cctx)
	}
	return verify.RepairFunc(func(ctx context.Context, t verify.TableRef, keys [][]string) error {
		_, err := b.RepairKeys(ctx, t.String(), keys)
		return err
	}), closeFn, nil
}

// serveMetrics serves reg on addr (if set) until the returned stop is called; stop lingers first.
func serveMetrics(ctx context.Context, addr string, reg *prometheus.Registry, log *slog.Logger) func(linger time.Duration) {
	if addr == "" {
		return func(time.Duration) {}
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		if err := obs.Serve(sctx, addr, reg, func() error { return nil }, log); err != nil {
			log.Warn("metrics server", "err", err)
		}
		close(done)
	}()
	return func(linger time.Duration) {
		if linger > 0 {
			select {
			case <-time.After(linger):
			case <-ctx.Done():
			}
		}
		cancel()
		<-done
	}
}

// sweepConfig is the configuration of `replayer sweep`.
type sweepConfig struct {
	sinkConfig     `yaml:",inline"`
	SourceDSN      string   `yaml:"source-dsn" help:"source DSN (to list the tables)"`
	SourceDatabase string   `yaml:"source-database" help:"source database whose copy tables are swept"`
	Tables         []string `yaml:"table" help:"only these tables (default: all tables of --source-database)"`
	Epoch          int      `yaml:"epoch" help:"the new epoch of the resync (required, >= 1)"`
}

func newSweepCmd() *cobra.Command {
	cfg := sweepConfig{sinkConfig: defaultSinkConfig(), SourceDSN: "ferry:ferry@tcp(127.0.0.1:3307)/", SourceDatabase: "shop"}
	return app.Command(cli.Spec{
		Use:   "sweep",
		Short: "After a resync: tombstone copy rows whose version predates the new epoch (rows deleted during the gap)",
		Long: "Run after `binlog-tailer sync --resync` once the replayer has applied the backfill of the new epoch:\n" +
			"every live copy row still carrying a version of an older epoch was not re-snapshotted, i.e. it was\n" +
			"deleted at the source while no binlog was read. The tombstones get a version just below the new epoch,\n" +
			"so a backfill row applied later still wins. Then run `replayer verify`.",
		Config: &cfg,
		Run: func(ctx context.Context, _ *cobra.Command, _ []string, log *slog.Logger) error {
			return runSweep(ctx, cfg, log)
		},
	})
}

func runSweep(ctx context.Context, cfg sweepConfig, log *slog.Logger) error {
	if cfg.Epoch < 1 || cfg.Epoch > 255 {
		return fmt.Errorf("--epoch must be the resync's new epoch (1..255), got %d", cfg.Epoch)
	}
	var err error
	tables := cfg.Tables
	if len(tables) == 0 {
		src, err := source.Open(cfg.SourceDSN)
		if err != nil {
			return err
		}
		tables, err = source.ListTables(ctx, src, cfg.SourceDatabase)
		src.Close()
		if err != nil {
			return err
		}
	}
	copyDB := mapDB(cfg.CopyDatabase, cfg.SourceDatabase)
	e, err := cfg.engine()
	if err != nil {
		return err
	}
	db, err := e.openDB(&cfg.sinkConfig)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, t := range tables {
		n, err := e.sweep(ctx, db, copyDB, t, backfill.SweepVersion(uint8(cfg.Epoch)))
		if err != nil {
			return err
		}
		log.Info("swept", "table", copyDB+"."+t, "tombstoned", n, "epoch", cfg.Epoch)
		fmt.Printf("%s.%s\t%d rows tombstoned\n", copyDB, t, n)
	}
	return nil
}
