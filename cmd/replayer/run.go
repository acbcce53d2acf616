package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/pkg/obs"
	"github.com/ferry-cdc/ferry/pkg/replayer"
)

// runConfig is the configuration of `replayer run`.
type runConfig struct {
	sinkConfig      `yaml:",inline"`
	replayer.Config `yaml:",inline"`
	MetricsAddr     string `yaml:"metrics-addr"`
	FlushMode       string `yaml:"flush-mode"`
	MemoryMB        int    `yaml:"memory-limit-mb"` // Go soft memory limit (GOMEMLIMIT); 0 = none
}

func newRunCmd() *cobra.Command {
	cfg := runConfig{sinkConfig: defaultSinkConfig(), Config: replayer.DefaultConfig(), MemoryMB: 128}
	cfg.FlushInterval = 0 // chosen per sink in run unless set
	cfg.MinFlushGap = -1  // likewise
	var file string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Consume the change topic and apply it to the copy until SIGTERM",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := load(cmd, file, &cfg); err != nil {
				return err
			}
			if cfg.MemoryMB > 0 && os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(int64(cfg.MemoryMB) << 20)
			}
			return run(cmd.Context(), cfg)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&file, "config", "", "YAML config file (keys = flag names)")
	cfg.sinkConfig.bind(fs)
	r := &cfg.Config
	fs.StringVar(&r.NameServer, "name-server", r.NameServer, "RocketMQ name server")
	fs.StringVar(&r.BrokerAddr, "broker-addr", r.BrokerAddr, "RocketMQ broker, to create the dead-letter topic (empty: it must exist)")
	fs.StringVar(&r.Topic, "topic", r.Topic, "change-event topic")
	fs.StringVar(&r.Group, "group", r.Group, "consumer group (default ferry_replayer_<sink>)")
	fs.StringVar(&r.Instance, "instance", r.Instance, "client instance name (default unique per process)")
	fs.IntVar(&r.ConsumeBatch, "consume-batch", r.ConsumeBatch, "messages per pull (the broker sends at most 32); a queue holds at most 4x this many unacknowledged messages")
	fs.IntVar(&r.QueueCacheMB, "queue-cache-mb", r.QueueCacheMB, "pulled but unacknowledged message MiB per queue at most (bounds memory)")
	fs.IntVar(&r.BatchRows, "batch-rows", r.BatchRows, "flush a batch at this many rows")
	fs.IntVar(&r.BatchBytes, "batch-bytes", r.BatchBytes, "flush a batch at this many value bytes")
	fs.DurationVar(&r.FlushInterval, "flush-interval", r.FlushInterval, "flush a batch this long after its first row (default 200ms for mysql, 1s for clickhouse)")
	fs.DurationVar(&r.MinFlushGap, "min-flush-gap", r.MinFlushGap, "least time between two sink calls of batches that are not full; grows with the sink's apply time up to flush-interval (default 0 for mysql, 100ms for clickhouse)")
	fs.IntVar(&r.Retries, "retries", r.Retries, "retries of a failing message before the poison policy")
	fs.DurationVar(&r.RetryBackoff, "retry-backoff", r.RetryBackoff, "first retry backoff (doubles up to 30s)")
	fs.StringVar(&r.Poison, "poison", r.Poison, "poison message policy: halt or dead-letter")
	fs.StringVar(&r.DeadLetterTopic, "dead-letter-topic", r.DeadLetterTopic, "topic for poison messages under --poison dead-letter")
	fs.DurationVar(&r.ShutdownTimeout, "shutdown-timeout", r.ShutdownTimeout, "bound on the graceful stop")
	fs.StringVar(&cfg.FlushMode, "flush-mode", "auto", "eager: also flush as soon as no queue is submitting rows (group commit, low latency; at most every min-flush-gap); "+
		"linger: wait for batch-rows/batch-bytes/flush-interval (fewer, bigger inserts); auto: eager")
	fs.IntVar(&cfg.MemoryMB, "memory-limit-mb", cfg.MemoryMB, "Go soft memory limit in MiB (GC works harder near it); 0 = none")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "metrics listen address (default 127.0.0.1:9102 for mysql, 127.0.0.1:9103 for clickhouse)")
	return cmd
}

func run(ctx context.Context, cfg runConfig) error {
	log, err := newLogger(cfg.LogLevel)
	if err != nil {
		return err
	}
	if cfg.Group == "" {
		cfg.Group = "ferry_replayer_" + cfg.Sink
	}
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = replayer.DefaultFlushInterval(cfg.Sink)
	}
	if cfg.MinFlushGap < 0 {
		cfg.MinFlushGap = replayer.DefaultMinFlushGap(cfg.Sink)
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
		cfg.MetricsAddr = map[string]string{sinkMySQL: "127.0.0.1:9102", sinkClickHouse: "127.0.0.1:9103"}[cfg.Sink]
	}
	s, err := cfg.openSink(ctx, log)
	if err != nil {
		return err
	}
	defer s.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	rp, err := replayer.New(cfg.Config, s, cfg.Sink, log, replayer.NewMetrics(reg))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w (choose a free address with --metrics-addr)", cfg.MetricsAddr, err)
	}
	mctx, stopMetrics := context.WithCancel(context.WithoutCancel(ctx))
	merr := make(chan error, 1)
	go func() { merr <- obs.ServeListener(mctx, ln, reg, rp.Ready, log) }()
	runErr := rp.Run(ctx)
	stopMetrics()
	if err := <-merr; err != nil && runErr == nil {
		return fmt.Errorf("metrics server: %w", err)
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	log.Info("replayer stopped")
	return nil
}
