package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/cli"
	"github.com/ferry-cdc/ferry/pkg/replayer"
)

// replayerHelp documents the keys of replayer.Config (declared in pkg/replayer by their yaml tags).
var replayerHelp = map[string]string{
	"name-server":       "RocketMQ name server",
	"broker-addr":       "RocketMQ broker, to create the dead-letter topic (empty: it must exist)",
	"topic":             "change-event topic",
	"group":             "consumer group (default ferry_replayer_<sink>)",
	"instance":          "client instance name (default unique per process)",
	"consume-batch":     "messages per pull (the broker sends at most 32); a queue holds at most 4x this many unacknowledged messages",
	"queue-cache-mb":    "pulled but unacknowledged message MiB per queue at most",
	"cache-mb":          "pulled but unacknowledged message MiB in all at most, split evenly over the queues this replayer owns (bounds memory)",
	"batch-rows":        "flush a batch at this many rows (default 5000 for mysql, 60000 for clickhouse)",
	"batch-bytes":       "flush a batch at this many value bytes (default 8 MiB for mysql, 32 MiB for clickhouse)",
	"flush-interval":    "flush a batch this long after its first row (default 200ms for mysql, 500ms for clickhouse)",
	"min-flush-gap":     "least time between two sink calls of batches that are not full; grows with the sink's apply time up to flush-interval (default 0 for mysql, 100ms for clickhouse)",
	"retries":           "retries of a failing message before the poison policy",
	"retry-backoff":     "first retry backoff (doubles up to 30s)",
	"poison":            "poison message policy: halt or dead-letter",
	"dead-letter-topic": "topic for poison messages under --poison dead-letter",
	"shutdown-timeout":  "bound on the graceful stop",
}

// runConfig is the configuration of `replayer run`.
type runConfig struct {
	sinkConfig      `yaml:",inline"`
	replayer.Config `yaml:",inline"`
	MetricsAddr     string `yaml:"metrics-addr" help:"metrics listen address (default 127.0.0.1:9102 for mysql, 127.0.0.1:9103 for clickhouse)"`
	FlushMode       string `yaml:"flush-mode" help:"eager: also flush as soon as no queue is submitting rows (group commit, low latency; at most every min-flush-gap); linger: wait for batch-rows/batch-bytes/flush-interval (fewer, bigger inserts); auto: eager"`
	cli.Runtime     `yaml:",inline"`
}

func newRunCmd() *cobra.Command {
	cfg := runConfig{sinkConfig: defaultSinkConfig(), Config: replayer.DefaultConfig(), FlushMode: "auto", Runtime: cli.Runtime{MemoryMB: 128}}
	cfg.FlushInterval = 0 // chosen per sink in run unless set
	cfg.MinFlushGap = -1  // likewise
	cfg.BatchRows = 0     // likewise
	cfg.BatchBytes = 0    // likewise
	return app.Command(cli.Spec{Use: "run", Short: "Consume the change topic and apply it to the copy until SIGTERM", Config: &cfg,
		Run: func(ctx context.Context, _ *cobra.Command, _ []string, log *slog.Logger) error {
			if err := cfg.Runtime.Apply(); err != nil {
				return err
			}
			return run(ctx, cfg, log)
		}})
}

func run(ctx context.Context, cfg runConfig, log *slog.Logger) error {
	if cfg.Group == "" {
		cfg.Group = "ferry_replayer_" + cfg.Sink
	}
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = replayer.DefaultFlushInterval(cfg.Sink)
	}
	if cfg.MinFlushGap < 0 {
		cfg.MinFlushGap = replayer.DefaultMinFlushGap(cfg.Sink)
	}
	if cfg.BatchRows == 0 {
		cfg.BatchRows = replayer.DefaultBatchRows(cfg.Sink)
	}
	if cfg.BatchBytes == 0 {
		cfg.BatchBytes = replayer.DefaultBatchBytes(cfg.Sink)
	}
	switch cfg.FlushMode {
	case "auto":
		cfg.FlushWhenIdle = true // ClickHouse's inserts are spaced by min-flush-gap instead
	case "eager", "linger":
		cfg.FlushWhenIdle = cfg.FlushMode == "eager"
	default:
		return fmt.Errorf("flush-mode %q: use auto, eager or linger", cfg.FlushMode)
	}
	if cfg.MetricsAddr == "" {
		if e, err := cfg.engine(); err == nil {
			cfg.MetricsAddr = e.metricsAddr
		}
	}
	s, err := cfg.openSink(ctx, log)
	if err != nil {
		return err
	}
	defer s.Close()
	reg := cli.NewRegistry()
	rp, err := replayer.New(cfg.Config, s, cfg.Sink, log, replayer.NewMetrics(reg))
	if err != nil {
		return err
	}
	m, err := cli.ServeMetrics(ctx, cfg.MetricsAddr, reg, rp.Ready, log)
	if err != nil {
		return err
	}
	runErr := rp.Run(ctx)
	if err := m.Stop(); err != nil && runErr == nil {
		return err
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	log.Info("replayer stopped")
	return nil
}
