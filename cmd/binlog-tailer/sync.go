package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/cli"
	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/canal"
)

// syncCmd is `binlog-tailer sync`: streaming plus a backfill of every included table, in one
// process (initial sync of a new copy), or with --resync after a purged binlog or a failover.
// syncOptions are the keys of `binlog-tailer sync`.
type syncOptions struct {
	backfillOptions `yaml:",inline"`
	Resync          bool `yaml:"resync" help:"first move the checkpoint to the source head with a new epoch (purged binlog, failover)"`
	NewEpoch        int  `yaml:"new-epoch" help:"with --resync: the new epoch (default: checkpoint's + 1)"`
}

func syncCmd() *cobra.Command {
	s := syncOptions{backfillOptions: defaultBackfillOptions(), NewEpoch: -1}
	b := &s.backfillOptions
	cmd := command("sync", "stream and backfill every included table: initial sync, or --resync after a purged binlog", &b.options, &s,
		func(ctx context.Context, o *options, log *slog.Logger) error {
			if len(b.Tables) == 0 {
				b.Tables = includedDatabases(o.Include)
			}
			if len(b.Tables) == 0 {
				return fmt.Errorf("give the tables with --table (db or db.table), or include patterns of the form db.*")
			}
			if s.Resync {
				st, err := backfill.ResyncCheckpoint(ctx, &o.Config, s.NewEpoch)
				if err != nil {
					return err
				}
				b.Backfill.Restart = true
				log.Info("resync: checkpoint moved to the source head", "file", st.File, "pos", st.Pos, "epoch", st.Epoch)
			}
			return runSync(ctx, b, s.Resync, log)
		})
	cmd.Long = "Starts streaming (as `run`), and once the stream is live backfills every table given by --table\n" +
		"(default: the databases of the db.* include patterns), then keeps streaming until SIGTERM.\n" +
		"With --resync it first moves the checkpoint to the source's head with a new epoch; after the\n" +
		"backfill was applied by the replayers, run `replayer sweep --epoch N` on every copy and verify."
	return cmd
}

// includedDatabases returns the databases of include patterns "db.*".
func includedDatabases(include []string) []string {
	var out []string
	for _, p := range include {
		if db, ok := strings.CutSuffix(p, ".*"); ok && !strings.ContainsAny(db, "*?[") {
			out = append(out, db)
		}
	}
	return out
}

func runSync(ctx context.Context, b *backfillOptions, resync bool, log *slog.Logger) error {
	o := &b.options
	reg := cli.NewRegistry()
	var streaming atomic.Bool
	ready := make(chan struct{})
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m, err := cli.ServeMetrics(sctx, o.MetricsAddr, reg, func() error {
		if !streaming.Load() {
			return errors.New("binlog stream not started")
		}
		return nil
	}, log)
	if err != nil {
		return err
	}
	defer m.Stop()
	runDone := make(chan error, 1)
	go func() {
		runDone <- canal.Run(sctx, o.Config, log, reg, func() { streaming.Store(true); close(ready) })
	}()
	select {
	case <-ready:
	case err := <-runDone:
		return err
	}
	// Invariant: the backfill starts only after the stream is live, so every change committed
	// after a chunk's snapshot is in the stream with a higher version.
	epoch, err := currentEpoch(o)
	if err == nil {
		err = runBackfill(sctx, b, epoch, reg, log)
	}
	if err != nil {
		cancel()
		<-runDone
		return err
	}
	log.Info("sync: backfill complete; streaming continues until SIGTERM", "epoch", epoch)
	if resync {
		log.Warn(fmt.Sprintf("resync: once the replayers have applied the backfill, run `replayer sweep --epoch %d` on every copy, then `replayer verify`", epoch))
	}
	err = <-runDone
	if serr := m.Stop(); serr != nil && err == nil {
		err = serr
	}
	return err
}
