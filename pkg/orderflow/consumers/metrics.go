package consumers

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the order-paid consumers' metrics; the label `consumer` is the handler name.
type Metrics struct {
	Handled    *prometheus.CounterVec
	Duplicates *prometheus.CounterVec
	Failed     *prometheus.CounterVec
	Lag        *prometheus.HistogramVec
}

// NewMetrics builds the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	l := []string{"consumer"}
	m := &Metrics{
		Handled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_orderflow_consumer_handled_total",
			Help: "Order-paid messages applied (first delivery in effect)."}, l),
		Duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_orderflow_consumer_duplicates_total",
			Help: "Order-paid messages that had already been applied (redelivery or duplicate send); changed nothing."}, l),
		Failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_orderflow_consumer_failed_total",
			Help: "Order-paid deliveries that failed (undecodable or database error) and were returned for redelivery."}, l),
		Lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ferry_orderflow_consumer_lag_seconds",
			Help:    "Time from the message's birth on the producer to its handling.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}, l),
	}
	if reg != nil {
		reg.MustRegister(m.Handled, m.Duplicates, m.Failed, m.Lag)
	}
	return m
}
