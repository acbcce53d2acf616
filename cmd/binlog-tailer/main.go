// Command binlog-tailer streams the source's row binlog into RocketMQ as Ferry change events.
//
//	binlog-tailer run      --config tailer.yaml [flags]   stream until SIGTERM
//	binlog-tailer position [flags]                        checkpoint and source head
//	binlog-tailer resync   --from-file F --from-pos P | --from-gtid G | --from-time T [--epoch N]
//
// Every flag can also be set in the YAML file (key = flag name) or as FERRY_TAILER_<FLAG>.
// See docs/tailer.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ferry-cdc/ferry/internal/config"
	"github.com/ferry-cdc/ferry/pkg/canal"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/obs"
)

const envPrefix = "FERRY_TAILER_"

// options is the command's configuration: the tailer's plus process-level settings.
type options struct {
	canal.Config `yaml:",inline"`
	MetricsAddr  string `yaml:"metrics-addr"`    // /metrics, /healthz, /readyz
	LogLevel     string `yaml:"log-level"`       // debug, info, warn, error
	MemoryMB     int    `yaml:"memory-limit-mb"` // Go soft memory limit (GOMEMLIMIT); 0 = none
}

func defaultOptions() options {
	return options{Config: canal.DefaultConfig(), MetricsAddr: "127.0.0.1:9101", LogLevel: "info", MemoryMB: 64}
}

func bindFlags(fs *pflag.FlagSet, o *options) {
	c := &o.Config
	fs.StringVar(&c.SourceAddr, "source-addr", c.SourceAddr, "source MySQL/MariaDB host:port")
	fs.StringVar(&c.User, "user", c.User, "replication user")
	fs.StringVar(&c.Password, "password", c.Password, "replication password (prefer FERRY_TAILER_PASSWORD)")
	fs.StringVar(&c.Flavor, "flavor", c.Flavor, "mariadb or mysql")
	fs.Uint32Var(&c.ServerID, "server-id", c.ServerID, "replica server id, unique among the source's replicas")
	fs.BoolVar(&c.UseGTID, "gtid", c.UseGTID, "resume by GTID set instead of file/position")
	fs.StringVar(&c.StartFile, "start-file", c.StartFile, "first start without checkpoint: binlog file (default: source head)")
	fs.Uint64Var(&c.StartPos, "start-pos", c.StartPos, "first start without checkpoint: position")
	fs.StringVar(&c.StartGTID, "start-gtid", c.StartGTID, "first start without checkpoint: GTID set")
	fs.Uint8Var(&c.Epoch, "epoch", c.Epoch, "version epoch of a first start (a checkpoint's epoch wins)")
	fs.StringSliceVar(&c.Include, "include", c.Include, "db.table globs to publish (default all)")
	fs.StringSliceVar(&c.Exclude, "exclude", c.Exclude, "db.table globs to skip")
	fs.StringSliceVar(&c.ExcludeColumns, "exclude-columns", c.ExcludeColumns, "db.table.column globs to drop")
	fs.StringVar(&c.NoPKPolicy, "no-pk-policy", c.NoPKPolicy, "tables without primary key: halt or all-columns")
	fs.DurationVar(&c.Heartbeat, "heartbeat", c.Heartbeat, "source heartbeat period")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "binlog read timeout (> heartbeat)")
	fs.StringVar(&c.NameServer, "name-server", c.NameServer, "RocketMQ name server host:port")
	fs.StringVar(&c.Topic, "topic", c.Topic, "change-event topic")
	fs.StringVar(&c.ProducerGroup, "producer-group", c.ProducerGroup, "RocketMQ producer group")
	fs.IntVar(&c.MaxBatchRows, "max-batch-rows", c.MaxBatchRows, "rows per message at most")
	fs.IntVar(&c.MaxBatchBytes, "max-batch-bytes", c.MaxBatchBytes, "message body bytes at most (approximate)")
	fs.DurationVar(&c.FlushInterval, "flush-interval", c.FlushInterval, "longest time a row waits in an open batch")
	fs.DurationVar(&c.SendTimeout, "send-timeout", c.SendTimeout, "timeout of one send attempt")
	fs.DurationVar(&c.MaxRetryDelay, "max-retry-delay", c.MaxRetryDelay, "cap of the send retry backoff")
	fs.IntVar(&c.QueueBuffer, "queue-buffer", c.QueueBuffer, "sealed messages buffered per queue")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "checkpoint and lock directory")
	fs.DurationVar(&c.CheckpointWait, "checkpoint-every", c.CheckpointWait, "checkpoint write interval at most")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", o.MetricsAddr, "address for /metrics, /healthz, /readyz")
	fs.StringVar(&o.LogLevel, "log-level", o.LogLevel, "debug, info, warn or error")
	fs.IntVar(&o.MemoryMB, "memory-limit-mb", o.MemoryMB, "Go soft memory limit in MiB (GC works harder near it); 0 = none")
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// command builds a subcommand whose options are loaded (defaults < YAML < env < flags) before run.
func command(use, short string, extra func(*pflag.FlagSet), run func(context.Context, *options, *slog.Logger) error) *cobra.Command {
	o := defaultOptions()
	var file string
	cmd := &cobra.Command{Use: use, Short: short, SilenceUsage: true, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.Load(cmd.Flags(), file, envPrefix, &o); err != nil {
				return err
			}
			if o.MemoryMB > 0 && os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(int64(o.MemoryMB) << 20)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return run(ctx, &o, newLogger(o.LogLevel))
		}}
	cmd.Flags().StringVar(&file, "config", "", "YAML config file (keys = flag names)")
	bindFlags(cmd.Flags(), &o)
	if extra != nil {
		extra(cmd.Flags())
	}
	return cmd
}

func runCmd() *cobra.Command {
	return command("run", "stream the binlog into RocketMQ until SIGTERM", nil, func(ctx context.Context, o *options, log *slog.Logger) error {
		log.Info("config", "config", fmt.Sprintf("%+v", o.Config.Redacted()))
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		var started atomic.Bool
		ready := func() error {
			if !started.Load() {
				return errors.New("binlog stream not started")
			}
			return nil
		}
		sctx, cancel := context.WithCancel(context.Background())
		srvDone := make(chan error, 1)
		go func() { srvDone <- obs.Serve(sctx, o.MetricsAddr, reg, ready, log) }()
		err := canal.Run(ctx, o.Config, log, reg, func() { started.Store(true) })
		cancel()
		if serr := <-srvDone; serr != nil && err == nil {
			err = serr
		}
		return err
	})
}

func positionCmd() *cobra.Command {
	return command("position", "print the checkpoint and the source's binlog head as JSON", nil,
		func(ctx context.Context, o *options, log *slog.Logger) error {
			cp, err := checkpoint.Load(o.DataDir)
			if err != nil {
				return err
			}
			out := map[string]any{"checkpoint": cp}
			hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if h, err := canal.SourceHead(hctx, &o.Config); err != nil {
				out["sourceError"] = err.Error()
			} else {
				out["source"] = map[string]any{"file": h.File, "pos": h.Pos, "gtid": h.GTID}
				if cp != nil && cp.File == h.File {
					out["bytesBehind"] = int64(h.Pos) - int64(cp.Pos)
				}
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		})
}

func resyncCmd() *cobra.Command {
	var fromFile, fromGTID, fromTime string
	var fromPos uint64
	var cmd *cobra.Command
	extra := func(fs *pflag.FlagSet) {
		fs.StringVar(&fromFile, "from-file", "", "binlog file to resume from")
		fs.Uint64Var(&fromPos, "from-pos", 4, "position in --from-file")
		fs.StringVar(&fromGTID, "from-gtid", "", "GTID set to resume from (use with gtid: true)")
		fs.StringVar(&fromTime, "from-time", "", "RFC 3339 time: resume from the binlog file that was current then")
	}
	cmd = command("resync", "move the checkpoint (refuses while a tailer runs on the data dir)", extra,
		func(ctx context.Context, o *options, log *slog.Logger) error {
			target, err := resyncTarget(ctx, o, fromFile, fromPos, fromGTID, fromTime)
			if err != nil {
				return err
			}
			prev, _ := checkpoint.Load(o.DataDir)
			target.Epoch = o.Epoch
			if prev != nil {
				target.Epoch = prev.Epoch
			}
			if cmd.Flags().Changed("epoch") { // --epoch N: the epoch after the resync (bump it after a failover / RESET MASTER)
				target.Epoch = o.Epoch
			}
			old, err := canal.Resync(&o.Config, target)
			if err != nil {
				return err
			}
			fmt.Printf("checkpoint moved from %s to %s:%d gtid %q epoch %d\n", describe(old), target.File, target.Pos, target.GTID, target.Epoch)
			fmt.Println("changes that were skipped are not in the stream: run the backfill for every table before trusting the copies")
			return nil
		})
	cmd.Long = "Move the checkpoint to --from-file/--from-pos, --from-gtid or --from-time. --epoch N sets the version\n" +
		"epoch from then on (default: keep the checkpoint's); bump it after a failover or RESET MASTER."
	return cmd
}

func resyncTarget(ctx context.Context, o *options, file string, pos uint64, gtid, at string) (checkpoint.State, error) {
	set := 0
	for _, s := range []string{file, gtid, at} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		return checkpoint.State{}, fmt.Errorf("give exactly one of --from-file (with --from-pos), --from-gtid, --from-time")
	}
	switch {
	case file != "":
		return checkpoint.State{File: file, Pos: pos}, nil
	case gtid != "":
		if !o.UseGTID {
			return checkpoint.State{}, fmt.Errorf("--from-gtid needs gtid: true (GTID mode) in the tailer config")
		}
		h, err := canal.SourceHead(ctx, &o.Config) // the file is only a fallback; GTID mode starts by GTID
		if err != nil {
			return checkpoint.State{}, err
		}
		return checkpoint.State{File: h.File, Pos: h.Pos, GTID: gtid}, nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return checkpoint.State{}, fmt.Errorf("--from-time %q: want RFC 3339 like 2026-01-02T15:04:05Z: %w", at, err)
	}
	f, err := canal.FileForTime(ctx, &o.Config, t)
	if err != nil {
		return checkpoint.State{}, err
	}
	return checkpoint.State{File: f, Pos: 4}, nil
}

func describe(s *checkpoint.State) string {
	if s == nil {
		return "(none)"
	}
	return fmt.Sprintf("%s:%d gtid %q epoch %d", s.File, s.Pos, s.GTID, s.Epoch)
}

func main() {
	root := &cobra.Command{Use: "binlog-tailer", Short: "stream the source's row binlog into RocketMQ as Ferry change events (topic " + event.DefaultTopic + ")"}
	root.AddCommand(runCmd(), positionCmd(), resyncCmd(), backfillCmd(), syncCmd(), topicCmd())
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
