package canal

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the tailer's Prometheus metrics (docs/metrics-tailer.md).
type Metrics struct {
	Events            *prometheus.CounterVec // ferry_tailer_events_total{type}
	Rows              *prometheus.CounterVec // ferry_tailer_rows_total{table,op}
	Messages          prometheus.Counter     // ferry_tailer_messages_published_total
	Bytes             prometheus.Counter     // ferry_tailer_published_bytes_total
	SendErrors        prometheus.Counter     // ferry_tailer_send_errors_total
	Reconnects        prometheus.Counter     // ferry_tailer_source_reconnects_total
	CrashTailSkips    prometheus.Counter     // ferry_tailer_crash_tail_skips_total
	CheckpointFile    prometheus.Gauge       // ferry_tailer_checkpoint_file_index
	CheckpointPos     prometheus.Gauge       // ferry_tailer_checkpoint_position
	CheckpointTime    prometheus.Gauge       // ferry_tailer_checkpoint_timestamp_seconds
	HeadFile          prometheus.Gauge       // ferry_tailer_source_head_file_index
	HeadPos           prometheus.Gauge       // ferry_tailer_source_head_position
	Behind            prometheus.Gauge       // ferry_tailer_seconds_behind_source
	LastEvent         prometheus.Gauge       // ferry_tailer_last_event_timestamp_seconds
	BatchRows         prometheus.Histogram   // ferry_tailer_batch_rows
	PublishDuration   prometheus.Histogram   // ferry_tailer_publish_duration_seconds
	PendingMessages   prometheus.Gauge       // ferry_tailer_pending_messages
	registeredCollect []prometheus.Collector
}

// NewMetrics creates the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_tailer_events_total",
			Help: "Binlog events read, by event type."}, []string{"type"}),
		Rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_tailer_rows_total",
			Help: "Row changes published (after filtering), by table (db.table) and op."}, []string{"table", "op"}),
		Messages: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_tailer_messages_published_total",
			Help: "RocketMQ messages acknowledged with SEND_OK."}),
		Bytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_tailer_published_bytes_total",
			Help: "Body bytes of acknowledged messages."}),
		SendErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_tailer_send_errors_total",
			Help: "Failed send attempts (each is retried)."}),
		Reconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_tailer_source_reconnects_total",
			Help: "Binlog stream restarts after a connection error."}),
		CrashTailSkips: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_tailer_crash_tail_skips_total",
			Help: "Half-written binlog file tails (left by a crash of the source) skipped to the next file's start."}),
		CheckpointFile: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_checkpoint_file_index",
			Help: "Binlog file index of the durable checkpoint."}),
		CheckpointPos: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_checkpoint_position",
			Help: "Binlog position of the durable checkpoint."}),
		CheckpointTime: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_checkpoint_timestamp_seconds",
			Help: "Unix time the checkpoint was last written or confirmed (heartbeats refresh it when idle)."}),
		HeadFile: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_source_head_file_index",
			Help: "Binlog file index of the last event read (heartbeats included)."}),
		HeadPos: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_source_head_position",
			Help: "Binlog position after the last event read (heartbeats included)."}),
		Behind: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_seconds_behind_source",
			Help: "Now minus the timestamp of the last row/DDL event read; 0 when idle and caught up."}),
		LastEvent: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_last_event_timestamp_seconds",
			Help: "Source timestamp of the last event read."}),
		BatchRows: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ferry_tailer_batch_rows",
			Help: "Rows per published message.", Buckets: prometheus.ExponentialBuckets(1, 4, 7)}),
		PublishDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ferry_tailer_publish_duration_seconds",
			Help: "Duration of a successful send call (last attempt); one call carries the messages waiting for one queue.", Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8)}),
		PendingMessages: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_pending_messages",
			Help: "Sealed messages not yet acknowledged."}),
	}
	m.registeredCollect = []prometheus.Collector{m.Events, m.Rows, m.Messages, m.Bytes, m.SendErrors, m.Reconnects, m.CrashTailSkips,
		m.CheckpointFile, m.CheckpointPos, m.CheckpointTime, m.HeadFile, m.HeadPos, m.Behind, m.LastEvent,
		m.BatchRows, m.PublishDuration, m.PendingMessages}
	if reg != nil {
		for _, c := range m.registeredCollect {
			reg.MustRegister(c)
		}
	}
	return m
}

// observeSend records one successful send call that carried batch.
func (m *Metrics) observeSend(batch []*outgoing, d time.Duration) {
	m.PublishDuration.Observe(d.Seconds())
	for _, o := range batch {
		m.Messages.Inc()
		m.Bytes.Add(float64(len(o.wire.Body)))
		if !o.msg.IsDDL {
			m.BatchRows.Observe(float64(o.rows))
		}
	}
}
