package main

// binlog-tailer backfill and sync (initial sync / resync): see docs/operations-backfill-verify.md.
// Register with root.AddCommand(backfillCmd(), syncCmd()) in main.go.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
)

// backfillOptions are the backfill-specific flags (the tailer's flags give source, RocketMQ and
// data directory).
type backfillOptions struct {
	tables    []string
	sourceDSN string
	cfg       backfill.Config
}

func (b *backfillOptions) bind(fs *pflag.FlagSet) {
	b.cfg = backfill.DefaultConfig()
	fs.StringSliceVar(&b.tables, "table", nil, "table to backfill as db.table, or a database for all its tables (repeatable)")
	fs.StringVar(&b.sourceDSN, "source-dsn", "", "DSN for reading the source (default: user/password@source-addr; needs SELECT, and RELOAD for repairs)")
	fs.IntVar(&b.cfg.ChunkRows, "chunk-rows", b.cfg.ChunkRows, "rows per consistent-snapshot chunk")
	fs.IntVar(&b.cfg.InFlight, "in-flight", b.cfg.InFlight, "chunks read ahead and published concurrently")
	fs.BoolVar(&b.cfg.Restart, "restart", false, "ignore backfill checkpoints and start every table from its first key")
	fs.DurationVar(&b.cfg.Progress, "progress-every", b.cfg.Progress, "progress log interval when not on a terminal")
}

func backfillCmd() *cobra.Command {
	var b backfillOptions
	cmd := command("backfill", "publish snapshot rows of tables (chunked by primary key, resumable) into the change topic", b.bind,
		func(ctx context.Context, o *options, log *slog.Logger) error {
			if len(b.tables) == 0 {
				return fmt.Errorf("give the tables with --table db.table (or --table db for all tables of a database)")
			}
			epoch, err := currentEpoch(o)
			if err != nil {
				return err
			}
			return runBackfill(ctx, o, &b, epoch, nil, log)
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

// runBackfill backfills every table of b.tables with epoch through the tailer's publisher.
// reg (may be nil) receives the backfill metrics.
func runBackfill(ctx context.Context, o *options, b *backfillOptions, epoch uint8, reg prometheus.Registerer, log *slog.Logger) error {
	dsn := b.sourceDSN
	if dsn == "" {
		dsn = fmt.Sprintf("%s:%s@tcp(%s)/", o.User, o.Password, o.SourceAddr)
	}
	src, err := backfill.OpenSource(dsn)
	if err != nil {
		return err
	}
	defer src.Close()
	cfg := b.cfg
	cfg.CheckpointDir, cfg.Epoch = o.DataDir, epoch
	cfg.Include, cfg.Exclude, cfg.ExcludeColumns = o.Include, o.Exclude, o.ExcludeColumns // the tailer's filters
	if cfg.ServerID, err = serverID(ctx, src); err != nil {
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
	tables, err := bf.Tables(ctx, b.tables)
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

// serverID reads the source's server id (reported in the messages' ferry.serverId).
func serverID(ctx context.Context, db *sql.DB) (uint32, error) {
	var id uint32
	if err := db.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id); err != nil {
		return 0, fmt.Errorf("read source server id: %w", err)
	}
	return id, nil
}
