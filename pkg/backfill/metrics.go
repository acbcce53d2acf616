package backfill

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are backfill's Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	rows          *prometheus.CounterVec
	chunks        *prometheus.CounterVec
	chunkDuration *prometheus.HistogramVec
}

// NewMetrics registers backfill's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_backfill_rows_total",
			Help: "Snapshot rows published by backfill."}, []string{"table"}),
		chunks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_backfill_chunks_total",
			Help: "Backfill chunks read, published and checkpointed."}, []string{"table"}),
		chunkDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ferry_backfill_chunk_duration_seconds",
			Help: "Time to read, publish and checkpoint one chunk.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"table"}),
	}
	reg.MustRegister(m.rows, m.chunks, m.chunkDuration)
	return m
}

func (m *Metrics) chunk(table string, rows int, d time.Duration) {
	if m == nil {
		return
	}
	m.rows.WithLabelValues(table).Add(float64(rows))
	m.chunks.WithLabelValues(table).Inc()
	m.chunkDuration.WithLabelValues(table).Observe(d.Seconds())
}
