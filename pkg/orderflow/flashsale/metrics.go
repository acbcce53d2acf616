package flashsale

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the flash sale's metrics (component "orderflow", prefix ferry_orderflow_flash_).
type Metrics struct {
	Requests      *prometheus.CounterVec // result
	SendFailed    prometheus.Counter
	OrdersCreated prometheus.Counter
	Duplicates    prometheus.Counter
	Rejected      prometheus.Counter
	WorkerLag     prometheus.Histogram
}

// NewMetrics builds the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_orderflow_flash_requests_total",
			Help: "Flash-sale buy requests by result (won, won_replayed, sold_out, sold_out_edge, already_bought, error). " +
				"sold_out and sold_out_edge never touched Redis stock or MariaDB."}, []string{"result"}),
		SendFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_orderflow_flash_send_failed_total",
			Help: "Won units whose flash-sale message could not be sent (a fresh win's unit was released in Redis; a replay's was kept for its buyer)."}),
		OrdersCreated: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_orderflow_flash_orders_created_total",
			Help: "Orders created by the order-creation workers."}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_orderflow_flash_duplicates_total",
			Help: "Flash-sale messages whose order already existed (redelivery); nothing written."}),
		Rejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_orderflow_flash_rejected_total",
			Help: "Flash-sale messages that cannot become an order (no MariaDB stock, unknown product); reconciliation reports them."}),
		WorkerLag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ferry_orderflow_flash_order_lag_seconds",
			Help:    "Time from the win at the gate to the order's creation (the peak-shaving delay).",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
	}
	if reg != nil {
		reg.MustRegister(m.Requests, m.SendFailed, m.OrdersCreated, m.Duplicates, m.Rejected, m.WorkerLag)
	}
	return m
}
