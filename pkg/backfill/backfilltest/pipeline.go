package backfilltest

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/canal"
	"github.com/ferry-cdc/ferry/pkg/replayer"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// Logger logs warnings and errors to stderr (go test shows them for a failing package or with
// -v), everything when FERRY_TEST_VERBOSE is set.
func Logger() *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("FERRY_TEST_VERBOSE") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// TailerConfig returns a tailer config for the stack that publishes database db to topic, with
// a unique server id and a private data directory.
func TailerConfig(t testing.TB, st *testenv.Stack, db, topic string) canal.Config {
	cfg := canal.DefaultConfig()
	cfg.SourceAddr, cfg.User, cfg.Password = st.SourceAddr, st.ReplUser, st.ReplPassword
	cfg.ServerID = uint32(100000 + rand.IntN(1<<30))
	cfg.Include = []string{db + ".*"}
	cfg.DataDir = t.TempDir()
	cfg.NameServer, cfg.Topic = st.NameServer, topic
	cfg.ProducerGroup = testenv.UniqueName("ferry_test_tailer")
	cfg.Heartbeat, cfg.ReadTimeout = time.Second, 10*time.Second
	cfg.FlushInterval, cfg.CheckpointWait = 20*time.Millisecond, 50*time.Millisecond
	return cfg
}

// StartTailer runs canal.Run with cfg in the background and waits until it streams; stop
// cancels it and returns its error. It is stopped at cleanup; stopping on its own before that
// fails the test (see Context).
func StartTailer(t testing.TB, cfg canal.Config) (stop func() error) {
	t.Helper()
	ready := make(chan struct{})
	c := startComponent(t, "tailer", func(ctx context.Context) error {
		return canal.Run(ctx, cfg, Logger(), prometheus.NewRegistry(), func() { close(ready) })
	})
	select {
	case <-ready:
	case <-c.exited:
		t.Fatalf("tailer stopped before streaming: %v", c.stop(0))
	case <-time.After(60 * time.Second):
		_ = c.stop(time.Minute)
		t.Fatal("tailer did not start streaming within 60 s")
	}
	stop = func() error { return c.stop(0) }
	t.Cleanup(func() { _ = stop() })
	return stop
}

// StartReplayer consumes topic into s (named sinkName) in a fresh consumer group until
// cleanup, flushing batches after flush (0: the flush interval, batch rows and min flush gap
// that `replayer run` ships for the sink); stop cancels it
// and returns Run's error.
func StartReplayer(t testing.TB, st *testenv.Stack, topic string, s sink.Sink, sinkName string, flush time.Duration) (stop func() error) {
	t.Helper()
	stop, _ = StartReplayerCounted(t, st, topic, s, sinkName, flush)
	return stop
}

// StartReplayerCounted is StartReplayer that also returns how many rows the replayer has
// applied so far (its ferry_replayer_rows_applied_total): a progress signal that costs the copy
// nothing, unlike counting its rows.
func StartReplayerCounted(t testing.TB, st *testenv.Stack, topic string, s sink.Sink, sinkName string, flush time.Duration) (stop func() error, applied func() float64) {
	t.Helper()
	cfg := replayer.DefaultConfig()
	cfg.NameServer, cfg.BrokerAddr, cfg.Topic = st.NameServer, st.BrokerAddr, topic
	cfg.Group = testenv.UniqueName("ferry_test_" + sinkName)
	cfg.Instance = testenv.UniqueName("bf_" + sinkName)
	cfg.FlushInterval, cfg.RetryBackoff = flush, 50*time.Millisecond
	if flush == 0 { // what `replayer run` ships for this sink
		cfg.FlushInterval = replayer.DefaultFlushInterval(sinkName)
		cfg.BatchRows = replayer.DefaultBatchRows(sinkName)
		cfg.BatchBytes = replayer.DefaultBatchBytes(sinkName)
		cfg.MinFlushGap = replayer.DefaultMinFlushGap(sinkName)
	}
	reg := prometheus.NewRegistry()
	r, err := replayer.New(cfg, s, sinkName, Logger(), replayer.NewMetrics(reg))
	if err != nil {
		t.Fatal(err)
	}
	applied = func() float64 { return sumCounter(t, reg, "ferry_replayer_rows_applied_total") }
	c := startComponent(t, "replayer "+sinkName, r.Run)
	stop = func() error { return c.stop(time.Minute) }
	t.Cleanup(func() { _ = stop() })
	return stop, applied
}

// EnsureSchema creates the copy tables of every table of source database srcDB on both sinks
// (what `replayer schema` does), so empty tables exist in the copies too.
func (c *Copies) EnsureSchema(t testing.TB, st *testenv.Stack, srcDB string) {
	t.Helper()
	src := OpenSource(t, st)
	tables, err := sink.ReadSourceTables(context.Background(), src, srcDB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.MySQLSink.EnsureTables(context.Background(), tables); err != nil {
		t.Fatalf("create mysql copy tables: %v", err)
	}
	if _, err := c.CHSink.EnsureTables(context.Background(), tables); err != nil {
		t.Fatalf("create clickhouse copy tables: %v", err)
	}
}

// sumCounter sums every series of counter name in reg.
func sumCounter(t testing.TB, reg *prometheus.Registry, name string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		t.Errorf("gather replayer metrics: %v", err)
		return 0
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}
