package canal

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferry-cdc/ferry/pkg/publish"
)

// Metrics are the tailer's Prometheus metrics (docs/metrics-tailer.md): the binlog reader's here,
// the publisher's (sends, batches, checkpoint) in the embedded publish.Metrics.
type Metrics struct {
	*publish.Metrics
	Events         *prometheus.CounterVec // ferry_tailer_events_total{type}
	Rows           *prometheus.CounterVec // ferry_tailer_rows_total{table,op}
	Reconnects     prometheus.Counter     // ferry_tailer_source_reconnects_total
	CrashTailSkips prometheus.Counter     // ferry_tailer_crash_tail_skips_total
	HeadFile       prometheus.Gauge       // ferry_tailer_source_head_file_index
	HeadPos        prometheus.Gauge       // ferry_tailer_source_head_position
	Behind         prometheus.Gauge       // ferry_tailer_seconds_behind_source
	LastEvent      prometheus.Gauge       // ferry_tailer_last_event_timestamp_seconds
}

// NewMetrics creates the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Metrics: publish.NewMetrics(reg),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_tailer_events_total",
			Help: "Binlog events read, by event type."}, []string{"type"}),
		Rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_tailer_rows_total",
			Help: "Row changes published (after filtering), by table (db.table) and op."}, []string{"table", "op"}),
		Reconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_tailer_source_reconnects_total",
			Help: "Binlog stream restarts after a connection error."}),
		CrashTailSkips: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_tailer_crash_tail_skips_total",
			Help: "Half-written binlog file tails (left by a crash of the source) skipped to the next file's start."}),
		HeadFile: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_source_head_file_index",
			Help: "Binlog file index of the last event read (heartbeats included)."}),
		HeadPos: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_source_head_position",
			Help: "Binlog position after the last event read (heartbeats included)."}),
		Behind: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_seconds_behind_source",
			Help: "Now minus the timestamp of the last row/DDL event read; 0 when idle and caught up."}),
		LastEvent: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_last_event_timestamp_seconds",
			Help: "Source timestamp of the last event read."}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.Events, m.Rows, m.Reconnects, m.CrashTailSkips,
			m.HeadFile, m.HeadPos, m.Behind, m.LastEvent} {
			reg.MustRegister(c)
		}
	}
	return m
}
