package replayer

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the replayer's Prometheus metrics (docs/metrics-replayer.md).
type Metrics struct {
	RowsApplied     *prometheus.CounterVec   // ferry_replayer_rows_applied_total{sink,table,op}
	Batches         *prometheus.CounterVec   // ferry_replayer_batches_total{sink}
	BatchRows       *prometheus.HistogramVec // ferry_replayer_batch_rows{sink}
	ApplySeconds    *prometheus.HistogramVec // ferry_replayer_apply_duration_seconds{sink}
	LagSeconds      *prometheus.HistogramVec // ferry_replayer_end_to_end_lag_seconds{sink,table}
	QueueBacklog    *prometheus.GaugeVec     // ferry_replayer_queue_backlog{queue}
	Errors          *prometheus.CounterVec   // ferry_replayer_errors_total{kind}
	DDL             *prometheus.CounterVec   // ferry_replayer_ddl_total{action}
	DeadLettered    prometheus.Counter       // ferry_replayer_dead_lettered_total
	BodiesRefetched prometheus.Counter       // ferry_replayer_bodies_refetched_total
	Halted          prometheus.Gauge         // ferry_replayer_halted
	MessagesTotal   *prometheus.CounterVec   // ferry_replayer_messages_total{kind}
	PullCacheBytes  prometheus.Gauge         // ferry_replayer_pull_cache_bytes
}

// NewMetrics creates the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		RowsApplied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_replayer_rows_applied_total",
			Help: "Row changes committed to the sink, by source table and operation."}, []string{"sink", "table", "op"}),
		Batches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_replayer_batches_total",
			Help: "Batches applied to the sink successfully."}, []string{"sink"}),
		BatchRows: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ferry_replayer_batch_rows",
			Help: "Rows per applied batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 9)}, []string{"sink"}),
		ApplySeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ferry_replayer_apply_duration_seconds",
			Help: "Time of one sink apply call (transaction or insert).", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}, []string{"sink"}),
		LagSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ferry_replayer_end_to_end_lag_seconds",
			Help: "Sink commit time minus source event time, per message.", Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 14)}, []string{"sink", "table"}),
		QueueBacklog: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ferry_replayer_queue_backlog",
			Help: "Messages in the queue after the last acknowledged one (broker max offset at pull time minus committed offset)."}, []string{"queue"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_replayer_errors_total",
			Help: "Errors by kind: decode, apply, ddl, dead_letter, sink_transient (a passing copy failure, retried without limit), broker_transient (the broker unreachable while re-reading a failed batch's messages, retried without limit)."}, []string{"kind"}),
		DDL: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_replayer_ddl_total",
			Help: "DDL messages handled, by outcome: handled (applied/ignored/already applied) or halted."}, []string{"action"}),
		DeadLettered: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_replayer_dead_lettered_total",
			Help: "Poison messages moved to the dead-letter topic."}),
		BodiesRefetched: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_replayer_bodies_refetched_total",
			Help: "Message bodies read again from the broker to retry a failed batch (a staging sink's replayer drops a message's body once its rows are converted)."}),
		Halted: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_replayer_halted",
			Help: "1 after the replayer halted on a poison message or a DDL needing operator action."}),
		MessagesTotal: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_replayer_messages_total",
			Help: "Messages acknowledged, by kind: rows, ddl, dead_letter."}, []string{"kind"}),
		PullCacheBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_replayer_pull_cache_bytes",
			Help: "Message body bytes pulled and not yet acknowledged, over the owned queues (bounded by cache-mb)."}),
	}
	if reg != nil {
		reg.MustRegister(m.RowsApplied, m.Batches, m.BatchRows, m.ApplySeconds, m.LagSeconds, m.QueueBacklog,
			m.Errors, m.DDL, m.DeadLettered, m.BodiesRefetched, m.Halted, m.MessagesTotal, m.PullCacheBytes)
	}
	return m
}

func (m *Metrics) observeBatch(sinkName string, rows int, d time.Duration, err error) {
	m.ApplySeconds.WithLabelValues(sinkName).Observe(d.Seconds())
	if err != nil {
		m.Errors.WithLabelValues("apply").Inc()
		return
	}
	m.Batches.WithLabelValues(sinkName).Inc()
	m.BatchRows.WithLabelValues(sinkName).Observe(float64(rows))
}
