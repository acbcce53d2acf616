package verify

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are verify's Prometheus metrics (docs/metrics-verify.md). A nil *Metrics records nothing.
type Metrics struct {
	rowsChecked   *prometheus.CounterVec
	chunks        *prometheus.CounterVec
	mismatched    *prometheus.GaugeVec
	repairedRows  *prometheus.CounterVec
	duration      *prometheus.GaugeVec
	lastCompleted *prometheus.GaugeVec
}

// NewMetrics registers verify's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	labels := []string{"table", "sink"}
	m := &Metrics{
		rowsChecked: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_verify_rows_checked_total",
			Help: "Source rows compared with the copy."}, labels),
		chunks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_verify_chunks_total",
			Help: "Primary-key chunks compared, by result (match, mismatch)."}, append(labels, "result")),
		mismatched: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ferry_verify_mismatched_rows",
			Help: "Keys that differed between source and copy in the last completed run (after re-checks and repair)."}, labels),
		repairedRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_verify_repaired_rows_total",
			Help: "Keys re-snapshotted by verify --repair."}, labels),
		duration: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ferry_verify_last_duration_seconds",
			Help: "Wall time of the last completed verification of the table."}, labels),
		lastCompleted: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ferry_verify_last_completed_timestamp_seconds",
			Help: "Unix time the last verification of the table completed."}, labels),
	}
	reg.MustRegister(m.rowsChecked, m.chunks, m.mismatched, m.repairedRows, m.duration, m.lastCompleted)
	return m
}

func (m *Metrics) chunk(t TableRef, sink string, rows int64, match bool) {
	if m == nil {
		return
	}
	m.rowsChecked.WithLabelValues(t.String(), sink).Add(float64(rows))
	result := "match"
	if !match {
		result = "mismatch"
	}
	m.chunks.WithLabelValues(t.String(), sink, result).Inc()
}

func (m *Metrics) repaired(t TableRef, sink string, n int) {
	if m == nil {
		return
	}
	m.repairedRows.WithLabelValues(t.String(), sink).Add(float64(n))
}

func (m *Metrics) observe(r *TableResult) {
	if m == nil {
		return
	}
	l := []string{r.Table.String(), r.Sink}
	m.mismatched.WithLabelValues(l...).Set(float64(len(r.Diffs)))
	m.duration.WithLabelValues(l...).Set(r.Duration.Seconds())
	m.lastCompleted.WithLabelValues(l...).Set(float64(time.Now().Unix()))
}
