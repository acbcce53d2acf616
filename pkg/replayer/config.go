// Package replayer consumes Ferry change events from RocketMQ and applies them to a sink
// (docs/design.md sections 3-5): queues are consumed in order and in parallel with the lite pull
// consumer, rows of all queues are batched by rows, bytes and time while earlier batches are
// written (consume ahead), and a pulled request is acknowledged only after the sink committed
// every row in it. A DDL is a barrier across the process's queues: applied once per version
// after every queue's earlier rows, with no batch in flight. Poison messages are retried with
// backoff, then halt the replayer (default) or go to a dead-letter topic; they are never
// acknowledged silently.
package replayer

import (
	"fmt"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// Poison policies.
const (
	PoisonHalt       = "halt"
	PoisonDeadLetter = "dead-letter"
)

// Config configures the consumer side of a replayer. Sink settings live with the sinks.
type Config struct {
	NameServer      string        `yaml:"name-server"`       // RocketMQ name server host:port
	BrokerAddr      string        `yaml:"broker-addr"`       // broker host:port; used to create the dead-letter topic ("" = must exist)
	Topic           string        `yaml:"topic"`             // change-event topic
	Group           string        `yaml:"group"`             // consumer group; replayers in one group share the queues
	Instance        string        `yaml:"instance"`          // client instance name; "" = unique per process
	ConsumeBatch    int           `yaml:"consume-batch"`     // messages per pull (the broker caps a pull at 32 messages / 256 KiB); a queue holds at most 4x this many unacknowledged messages
	QueueCacheMB    int           `yaml:"queue-cache-mb"`    // pulled-but-unacknowledged message MiB per queue at most
	CacheMB         int           `yaml:"cache-mb"`          // ... and in all, split evenly over the queues this replayer owns (bounds RSS)
	BatchRows       int           `yaml:"batch-rows"`        // flush a batch at this many rows
	BatchBytes      int           `yaml:"batch-bytes"`       // ... or this many value bytes
	FlushInterval   time.Duration `yaml:"flush-interval"`    // ... or this long after its first row
	FlushWhenIdle   bool          `yaml:"-"`                 // ... or when no queue is submitting (group commit)
	MinFlushGap     time.Duration `yaml:"min-flush-gap"`     // least time between two sink calls of batches that are not full (grows with the sink's apply time up to flush-interval); 0 = none
	Retries         int           `yaml:"retries"`           // retries of a failing message before the poison policy
	RetryBackoff    time.Duration `yaml:"retry-backoff"`     // first backoff; doubles up to 30 s
	Poison          string        `yaml:"poison"`            // halt | dead-letter
	DeadLetterTopic string        `yaml:"dead-letter-topic"` // topic for poison messages under dead-letter
	ShutdownTimeout time.Duration `yaml:"shutdown-timeout"`  // bound on the graceful stop
}

// DefaultConfig returns the defaults for the local stack: topic ferry_changes, pulls of up to 256
// messages (the broker sends at most 32), at most 1024 messages and 4 MiB per queue and 32 MiB
// in all pulled but not acknowledged (under a sink that does not stage, the caches together
// must hold about two full batches of message bodies, or the next batch cannot fill while one
// is applied; a staging sink's replayer releases bodies once converted, bodies.go; 32 MiB is
// 4 MiB for each of the tailer's 8 queues: docs/replayer.md),
// batches of 5000 rows / 8 MiB / 200 ms or group commit with no minimum gap, 5 retries from
// 500 ms, halt on poison. DefaultMinFlushGap and DefaultFlushInterval give the per-sink values
// `replayer run` uses.
// Group is left empty: the command sets ferry_replayer_<sink>.
func DefaultConfig() Config {
	return Config{
		NameServer:      "127.0.0.1:9876",
		Topic:           event.DefaultTopic,
		ConsumeBatch:    256,
		QueueCacheMB:    4,
		CacheMB:         32,
		BatchRows:       5000,
		BatchBytes:      8 << 20,
		FlushInterval:   200 * time.Millisecond,
		FlushWhenIdle:   true,
		Retries:         5,
		RetryBackoff:    500 * time.Millisecond,
		Poison:          PoisonHalt,
		DeadLetterTopic: event.DefaultTopic + "_dlq",
		ShutdownTimeout: 30 * time.Second,
	}
}

// DefaultFlushInterval is the default flush interval for a sink ("mysql" or "clickhouse").
// ClickHouse writes a part per insert and per table and merges them in the background: under
// sustained load on a small machine, 100-200 ms inserts starved the whole pipeline of CPU
// (end-to-end lag p50 of 10-14 s and growing in BenchmarkLagAtPeak), while 1 s inserts held it
// at about 3 s. Once the tailer and the replayer needed half the CPU per row (2026-12-06),
// 500 ms held the ClickHouse lag at p50 0.45-0.53 s / p99 1.16-1.18 s (1 s: p50 0.69 s / p99
// 1.64 s) at the same loads, without a stall. Other sinks get DefaultConfig's 200 ms.
func DefaultFlushInterval(sinkName string) time.Duration {
	if sinkName == "clickhouse" {
		return 500 * time.Millisecond
	}
	return DefaultConfig().FlushInterval
}

// DefaultBatchRows is the default batch-rows of a sink ("mysql" or "clickhouse"). ClickHouse
// pays per insert and per part (its CPU per row falls with the block size, and every part is
// merged later, with ReplacingMergeTree re-sorting every row it merges), so a catch-up gets
// large blocks; while the stream is quiet the group commit and min-flush-gap keep its inserts
// small and frequent anyway. History: 10,000 rows until 2026-12-07, then 40,000 (8 MiB of
// values bound first: about 15,000 order rows), because a batch's message bodies stayed in the
// pull cache until its commit and bigger batches either outgrew the cache (the replay turned
// stop-and-wait) or the 150 MB RSS target. Since the replayer releases a body once a staging
// sink converted its rows (bodies.go), a batch costs its typed columns: BenchmarkEndToEndCatchUp
// into ClickHouse, 1M order rows (2026-12-08, docs/BENCHMARKS.md): 60,000 rows against the old
// 15,000 halved the ClickHouse server's CPU (0.77-0.93 against 1.2-1.6 s) at replayer RSS
// 117-125 MB; 100,000 rows saved a little more (0.53-0.61 s) at 145-148 MB, at the target's
// edge. MySQL keeps DefaultConfig's 5,000: one transaction per batch, and a long transaction
// holds its row locks and undo longer.
func DefaultBatchRows(sinkName string) int {
	if sinkName == "clickhouse" {
		return 60_000
	}
	return DefaultConfig().BatchRows
}

// DefaultBatchBytes is the default batch-bytes of a sink: the message bytes of a batch's rows,
// which bounds a batch of wide rows. ClickHouse gets 32 MiB (about 75,000 order rows, so for
// them batch-rows binds first): the bodies are released once converted, and the typed columns
// of a batch take about as many bytes as its values. Other sinks keep their rows, which point
// into the bodies, until the batch is applied: DefaultConfig's 8 MiB.
func DefaultBatchBytes(sinkName string) int {
	if sinkName == "clickhouse" {
		return 32 << 20
	}
	return DefaultConfig().BatchBytes
}

// DefaultMinFlushGap is the default least time between two sink calls of batches that are not
// full, for a sink ("mysql" or "clickhouse"). The gap grows to the last sink call's duration
// (up to the flush interval) when the sink slows down, so batches grow with load; a full
// batch never waits. ClickHouse writes a part per insert and table, and many tiny inserts
// starved a 2-core machine of CPU: it gets 100 ms (at most 10 inserts/s per table when the
// stream is quiet, so lag stays low). MySQL commits cheap transactions: no gap (pure group
// commit).
func DefaultMinFlushGap(sinkName string) time.Duration {
	if sinkName == "clickhouse" {
		return 100 * time.Millisecond
	}
	return 0
}

// Validate reports the first invalid setting with the fix.
func (c Config) Validate() error {
	switch {
	case c.NameServer == "":
		return fmt.Errorf("replayer: name-server is empty; set it to the RocketMQ name server, e.g. 127.0.0.1:9876")
	case c.Topic == "" || c.Group == "":
		return fmt.Errorf("replayer: topic (%q) and group (%q) must be set", c.Topic, c.Group)
	case c.ConsumeBatch < 1 || c.ConsumeBatch > 1024:
		return fmt.Errorf("replayer: consume-batch must be 1..1024, got %d", c.ConsumeBatch)
	case c.QueueCacheMB < 1 || c.QueueCacheMB > 1024:
		return fmt.Errorf("replayer: queue-cache-mb must be 1..1024, got %d", c.QueueCacheMB)
	case c.CacheMB < 1 || c.CacheMB > 16384:
		return fmt.Errorf("replayer: cache-mb must be 1..16384, got %d", c.CacheMB)
	case c.BatchRows < 1 || c.BatchBytes < 1:
		return fmt.Errorf("replayer: batch-rows (%d) and batch-bytes (%d) must be positive", c.BatchRows, c.BatchBytes)
	case c.FlushInterval <= 0 || c.RetryBackoff <= 0 || c.ShutdownTimeout <= 0:
		return fmt.Errorf("replayer: flush-interval, retry-backoff and shutdown-timeout must be positive")
	case c.MinFlushGap < 0:
		return fmt.Errorf("replayer: min-flush-gap must be >= 0, got %s", c.MinFlushGap)
	case c.Retries < 0:
		return fmt.Errorf("replayer: retries must be >= 0, got %d", c.Retries)
	case c.Poison != PoisonHalt && c.Poison != PoisonDeadLetter:
		return fmt.Errorf("replayer: poison must be %q or %q, got %q", PoisonHalt, PoisonDeadLetter, c.Poison)
	case c.Poison == PoisonDeadLetter && c.DeadLetterTopic == "":
		return fmt.Errorf("replayer: poison=dead-letter needs dead-letter-topic")
	}
	return nil
}
