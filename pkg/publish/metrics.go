package publish

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the publisher's Prometheus metrics, part of the tailer's (docs/metrics-tailer.md).
type Metrics struct {
	Messages        prometheus.Counter   // ferry_tailer_messages_published_total
	Bytes           prometheus.Counter   // ferry_tailer_published_bytes_total
	SendErrors      prometheus.Counter   // ferry_tailer_send_errors_total
	CheckpointFile  prometheus.Gauge     // ferry_tailer_checkpoint_file_index
	CheckpointPos   prometheus.Gauge     // ferry_tailer_checkpoint_position
	CheckpointTime  prometheus.Gauge     // ferry_tailer_checkpoint_timestamp_seconds
	BatchRows       prometheus.Histogram // ferry_tailer_batch_rows
	PublishDuration prometheus.Histogram // ferry_tailer_publish_duration_seconds
	PendingMessages prometheus.Gauge     // ferry_tailer_pending_messages
}

// NewMetrics creates the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Messages: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_tailer_messages_published_total",
			Help: "RocketMQ messages acknowledged with SEND_OK."}),
		Bytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_tailer_published_bytes_total",
			Help: "Body bytes of acknowledged messages."}),
		SendErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_tailer_send_errors_total",
			Help: "Failed send attempts (each is retried)."}),
		CheckpointFile: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_checkpoint_file_index",
			Help: "Binlog file index of the durable checkpoint."}),
		CheckpointPos: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_checkpoint_position",
			Help: "Binlog position of the durable checkpoint."}),
		CheckpointTime: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_checkpoint_timestamp_seconds",
			Help: "Unix time the checkpoint was last written or confirmed (heartbeats refresh it when idle)."}),
		BatchRows: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ferry_tailer_batch_rows",
			Help: "Rows per published message.", Buckets: prometheus.ExponentialBuckets(1, 4, 7)}),
		PublishDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ferry_tailer_publish_duration_seconds",
			Help: "Duration of a successful send call (last attempt); one call carries the messages waiting for one queue.", Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8)}),
		PendingMessages: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_tailer_pending_messages",
			Help: "Sealed messages not yet acknowledged."}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.Messages, m.Bytes, m.SendErrors, m.CheckpointFile, m.CheckpointPos,
			m.CheckpointTime, m.BatchRows, m.PublishDuration, m.PendingMessages} {
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
		m.Bytes.Add(float64(o.body))
		if !o.msg.IsDDL {
			m.BatchRows.Observe(float64(o.rows))
		}
	}
}
