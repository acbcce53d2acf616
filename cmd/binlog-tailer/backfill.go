package main

// binlog-tailer backfill and sync (initial sync / resync): see docs/operations-backfill-verify.md.
// Register with root.AddCommand(backfillCmd(), syncCmd()) in main.go.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/source"
)

// backfillHelp documents the keys of backfill.Config that are flags (the tailer's keys give
// source, RocketMQ, epoch and data directory).
var backfillHelp = map[string]string{
	"chunk-rows":     "rows per consistent-snapshot chunk",
	"in-flight":      "chunks read ahead and published concurrently",
	"restart":        "ignore backfill checkpoints and start every table from its first key",
	"progress-every": "progress log interval when not on a terminal",
}

// backfillOptions are the keys of `binlog-tailer backfill`.
type backfillOptions struct {
	options   `yaml:",inline"`
	Tables    []string        `yaml:"table" help:"table to backfill as db.table, or a database for all its tables (repeatable)"`
	SourceDSN string          `yaml:"source-dsn" help:"DSN for reading the source (default: user/password@source-addr; needs SELECT, and RELOAD for repairs)"`
	Backfill  backfill.Config `yaml:",inline"`
}

func defaultBackfillOptions() backfillOptions {
	return backfillOptions{options: defaultOptions(), Backfill: backfill.DefaultConfig()}
}

func backfillCmd() *cobra.Command {
	b := defaultBackfillOptions()
	cmd := command("backfill", "publish snapshot rows of tables (chunked by primary key, resumable) into the change topic", &b.options, &b,
		func(ctx context.Context, o *options, log *slog.Logger) error {
			if len(b.Tables) == 0 {
				return fmt.Errorf("give the tables with --table db.table (or --table db for all tables of a database)")
			}
			epoch, err := currentEpoch(o)
			if err != nil {
				return err
			}
			return runBackfill(ctx, &b, epoch, nil, log)
		})
	cmd.Long = "Reads each table in primary-key chunks, every chunk in its own consistent snapshot with that\n" +
		"snapshot's binlog position, and publishes the rows as snapshot INSERTs into the tailer's topic with\n" +
		"versions just below that position. Progress is checkpointed per chunk in --data-dir\n" +
		"(backfill-<db.table>.json): run the same command again to resume. The epoch is the tailer\n" +
		"checkpoint's (or --epoch without one). Streaming (binlog-tailer run) should be running."
	return cmd
}

// currentEpoch is the epoch of the tailer's checkpoint, or --epoch without one.
func currentEpoch(o *options) (uint8, error) {
	cp, err := checkpoint.Load(o.DataDir)
	if err != nil {
		return 0, err
	}
	if cp != nil {
		return cp.Epoch, nil
	}
	return o.Epoch, nil
}

// runBackfill backfills every table of b.Tables with epoch through the tailer's publisher.
// reg (may be nil) receives the backfill metrics.
func runBackfill(ctx context.Context, b *backfillOptions, epoch uint8, reg prometheus.Registerer, log *slog.Logger) error {
	o := &b.options
	dsn := b.SourceDSN
	if dsn == "" {
		dsn = fmt.Sprintf("%s:%s@tcp(%s)/", o.User, o.Password, o.SourceAddr)
	}
	src, err := backfill.OpenSource(dsn)
	if err != nil {
		return err
	}
	defer src.Close()
	cfg := b.Backfill
	cfg.CheckpointDir, cfg.Epoch = o.DataDir, epoch
	cfg.Include, cfg.Exclude, cfg.ExcludeColumns = o.Include, o.Exclude, o.ExcludeColumns // the tailer's filters
	if cfg.ServerID, err = source.ServerID(ctx, src); err != nil {
		return err
	}
	pub, err := backfill.NewCanalPublisher(ctx, o.Config, log)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := pub.Close(cctx); err != nil {
			log.Warn("close publisher", "err", err)
		}
	}()
	var m *backfill.Metrics
	if reg != nil {
		m = backfill.NewMetrics(reg)
	}
	bf, err := backfill.New(cfg, src, pub, m, log, backfill.NewProgress(os.Stderr, log, cfg.Progress))
	if err != nil {
		return err
	}
	tables, err := bf.Tables(ctx, b.Tables)
	if err != nil {
		return err
	}
	log.Info("backfill", "tables", strings.Join(tables, ","), "epoch", epoch, "chunk_rows", cfg.ChunkRows, "checkpoint_dir", cfg.CheckpointDir)
	for _, t := range tables {
		if _, err := bf.Table(ctx, t); err != nil {
			return fmt.Errorf("backfill %s: %w (run the command again to resume after the last checkpointed chunk)", t, err)
		}
	}
	return nil
}
