// Command binlog-tailer streams the source's row binlog into RocketMQ as Ferry change events.
//
//	binlog-tailer run      --config tailer.yaml [flags]   stream until SIGTERM
//	binlog-tailer position [flags]                        checkpoint and source head
//	binlog-tailer resync   --from-file F --from-pos P | --from-gtid G | --from-time T | --from-canal meta.dat [--epoch N]
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
	"reflect"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/cli"
	"github.com/ferry-cdc/ferry/internal/config"
	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/canal"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
)

// app is the tailer's command scaffold: FERRY_TAILER_<KEY> environment variables.
var app = cli.App{EnvPrefix: "FERRY_TAILER_", Help: config.Help{
	reflect.TypeFor[canal.Config]():    canalHelp,
	reflect.TypeFor[backfill.Config](): backfillHelp,
}}

// canalHelp documents the keys of canal.Config (declared in pkg/canal by their yaml tags).
var canalHelp = map[string]string{
	"source-addr":          "source MySQL/MariaDB host:port",
	"user":                 "replication user",
	"password":             "replication password (prefer FERRY_TAILER_PASSWORD)",
	"flavor":               "mariadb or mysql",
	"server-id":            "replica server id, unique among the source's replicas",
	"gtid":                 "resume by GTID set instead of file/position",
	"start-file":           "first start without checkpoint: binlog file (default: source head)",
	"start-pos":            "first start without checkpoint: position",
	"start-gtid":           "first start without checkpoint: GTID set",
	"epoch":                "version epoch of a first start (a checkpoint's epoch wins)",
	"include":              "db.table globs to publish (default all)",
	"exclude":              "db.table globs to skip",
	"exclude-columns":      "db.table.column globs to drop",
	"no-pk-policy":         "tables without primary key: halt, or all-columns (keyed by all values; identical rows become one row in the copies)",
	"heartbeat":            "source heartbeat period",
	"read-timeout":         "binlog read timeout (> heartbeat)",
	"name-server":          "RocketMQ name server host:port",
	"topic":                "change-event topic",
	"producer-group":       "RocketMQ producer group",
	"max-batch-rows":       "rows per message at most",
	"max-batch-bytes":      "message body bytes at most (approximate)",
	"flush-interval":       "longest time a row waits in an open batch",
	"send-timeout":         "timeout of one send attempt",
	"max-retry-delay":      "cap of the send retry backoff",
	"queue-buffer":         "seal steps buffered per queue (a step: the messages of one queue sealed together, sent in one batch call)",
	"data-dir":             "checkpoint and lock directory",
	"checkpoint-every":     "checkpoint write interval at most",
	"min-binlog-retention": "warn at start when the source keeps binlogs for less (0 = no check; docs/production.md)",
}

// options is the configuration every subcommand has: the tailer's plus process-level settings.
type options struct {
	canal.Config `yaml:",inline"`
	MetricsAddr  string `yaml:"metrics-addr" help:"address for /metrics, /healthz, /readyz"`
	cli.Runtime  `yaml:",inline"`
}

func defaultOptions() options {
	return options{Config: canal.DefaultConfig(), MetricsAddr: "127.0.0.1:9101", Runtime: cli.Runtime{MemoryMB: 72, GCPercent: 200}}
}

// command builds a subcommand whose keys are the fields of keys (a struct embedding *o's type);
// run gets o once the keys are loaded (defaults < YAML < env < flags).
func command(use, short string, o *options, keys any, run func(context.Context, *options, *slog.Logger) error) *cobra.Command {
	return app.Command(cli.Spec{Use: use, Short: short, Config: keys,
		Run: func(ctx context.Context, _ *cobra.Command, _ []string, log *slog.Logger) error {
			if err := o.Runtime.Apply(); err != nil {
				return err
			}
			return run(ctx, o, log)
		}})
}

func runCmd() *cobra.Command {
	o := defaultOptions()
	return command("run", "stream the binlog into RocketMQ until SIGTERM", &o, &o, func(ctx context.Context, o *options, log *slog.Logger) error {
		log.Info("config", "config", fmt.Sprintf("%+v", o.Config.Redacted()))
		reg := cli.NewRegistry()
		var started atomic.Bool
		ready := func() error {
			if !started.Load() {
				return errors.New("binlog stream not started")
			}
			return nil
		}
		m, err := cli.ServeMetrics(ctx, o.MetricsAddr, reg, ready, log)
		if err != nil {
			return err
		}
		err = canal.Run(ctx, o.Config, log, reg, func() { started.Store(true) })
		if serr := m.Stop(); serr != nil && err == nil {
			err = serr
		}
		return err
	})
}

func positionCmd() *cobra.Command {
	o := defaultOptions()
	return command("position", "print the checkpoint and the source's binlog head as JSON", &o, &o,
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

// resyncOptions are the keys of `binlog-tailer resync`.
type resyncOptions struct {
	options   `yaml:",inline"`
	FromFile  string `yaml:"from-file" help:"binlog file to resume from"`
	FromPos   uint64 `yaml:"from-pos" help:"position in --from-file"`
	FromGTID  string `yaml:"from-gtid" help:"GTID set to resume from (use with gtid: true)"`
	FromTime  string `yaml:"from-time" help:"RFC 3339 time: resume from the binlog file that was current then"`
	FromCanal string `yaml:"from-canal" help:"Canal position file (meta.dat, or a ZooKeeper cursor's JSON): resume exactly where Canal's consumer stopped"`
}

func resyncCmd() *cobra.Command {
	r := resyncOptions{options: defaultOptions(), FromPos: 4}
	var cmd *cobra.Command
	cmd = command("resync", "move the checkpoint (refuses while a tailer runs on the data dir)", &r.options, &r,
		func(ctx context.Context, o *options, log *slog.Logger) error {
			target, err := resyncTarget(ctx, o, resyncFrom{file: r.FromFile, pos: r.FromPos, gtid: r.FromGTID, time: r.FromTime, canal: r.FromCanal})
			if err != nil {
				return err
			}
			prev, _ := checkpoint.Load(o.DataDir)
			if target.Epoch, err = canal.NextEpoch(prev, o.Epoch); err != nil && !cmd.Flags().Changed("epoch") {
				return err
			}
			if cmd.Flags().Changed("epoch") { // --epoch N: refused below the checkpoint's (canal.CheckResyncEpoch)
				target.Epoch = o.Epoch
			}
			old, err := canal.Resync(&o.Config, target)
			if err != nil {
				return err
			}
			fmt.Printf("checkpoint moved from %s to %s:%d gtid %q epoch %d\n", describe(old), target.File, target.Pos, target.GTID, target.Epoch)
			if r.FromCanal != "" {
				fmt.Println("Ferry continues where Canal's consumer stopped: stop Canal (and its consumers) before starting the tailer, then run verify")
				return nil
			}
			fmt.Println("changes that were skipped are not in the stream: run the backfill for every table before trusting the copies")
			return nil
		})
	cmd.Long = "Move the checkpoint to --from-file/--from-pos, --from-gtid, --from-time or --from-canal (a Canal\n" +
		"instance's meta.dat or ZooKeeper cursor JSON: the exact position its consumer acknowledged).\n" +
		"The epoch becomes the checkpoint's + 1 (the first start's --epoch without a checkpoint), so versions\n" +
		"never go backwards on another server's binlog; --epoch N may keep the checkpoint's epoch only to move\n" +
		"forward in the same binlog, and may never lower it."
	return cmd
}

// resyncFrom holds resync's --from-* flags; exactly one of file, gtid, time and canal is set.
type resyncFrom struct {
	file, gtid, time, canal string
	pos                     uint64
}

func resyncTarget(ctx context.Context, o *options, r resyncFrom) (checkpoint.State, error) {
	set := 0
	for _, s := range []string{r.file, r.gtid, r.time, r.canal} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		return checkpoint.State{}, fmt.Errorf("give exactly one of --from-file (with --from-pos), --from-gtid, --from-time, --from-canal")
	}
	switch {
	case r.file != "":
		return checkpoint.State{File: r.file, Pos: r.pos}, nil
	case r.canal != "":
		return canalTarget(ctx, o, r.canal)
	case r.gtid != "":
		if !o.UseGTID {
			return checkpoint.State{}, fmt.Errorf("--from-gtid needs gtid: true (GTID mode) in the tailer config")
		}
		h, err := canal.SourceHead(ctx, &o.Config) // the file is only a fallback; GTID mode starts by GTID
		if err != nil {
			return checkpoint.State{}, err
		}
		return checkpoint.State{File: h.File, Pos: h.Pos, GTID: r.gtid}, nil
	}
	t, err := time.Parse(time.RFC3339, r.time)
	if err != nil {
		return checkpoint.State{}, fmt.Errorf("--from-time %q: want RFC 3339 like 2026-01-02T15:04:05Z: %w", r.time, err)
	}
	f, err := canal.FileForTime(ctx, &o.Config, t)
	if err != nil {
		return checkpoint.State{}, err
	}
	return checkpoint.State{File: f, Pos: 4}, nil
}

// canalTarget reads a Canal position file and resolves it against the source (canal.CanalStart).
func canalTarget(ctx context.Context, o *options, path string) (checkpoint.State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return checkpoint.State{}, fmt.Errorf("--from-canal: %w", err)
	}
	p, err := canal.ParseCanalPosition(b)
	if err != nil {
		return checkpoint.State{}, fmt.Errorf("--from-canal %s: %w", path, err)
	}
	return canal.CanalStart(ctx, &o.Config, p)
}

func describe(s *checkpoint.State) string {
	if s == nil {
		return "(none)"
	}
	return fmt.Sprintf("%s:%d gtid %q epoch %d", s.File, s.Pos, s.GTID, s.Epoch)
}

func main() { cli.Main(newRootCmd(), nil) }

// newRootCmd returns the tailer's command tree.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{Use: "binlog-tailer", Short: "stream the source's row binlog into RocketMQ as Ferry change events (topic " + event.DefaultTopic + ")"}
	root.AddCommand(runCmd(), positionCmd(), resyncCmd(), backfillCmd(), syncCmd(), topicCmd())
	return root
}
