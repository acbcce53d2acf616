package service

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the order service's metrics (component "orderflow"); see docs/metrics-orderflow.md.
type Metrics struct {
	Requests      *prometheus.CounterVec // route, code
	PaySeconds    prometheus.Histogram
	PayOutOfStock prometheus.Counter
	OrdersCreated prometheus.Counter
	Refunds       prometheus.Counter
	Cancels       prometheus.Counter
	Closed        prometheus.Counter
	PaidSent      prometheus.Counter
	PaidFailed    prometheus.Counter
	OutboxResent  prometheus.Counter
}

// NewMetrics builds the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_orderflow_" + name, Help: help})
	}
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ferry_orderflow_http_requests_total",
			Help: "HTTP requests to the order service by route pattern and status code."}, []string{"route", "code"}),
		PaySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ferry_orderflow_pay_seconds",
			Help:    "Latency of successful pay transactions (commit included, message send excluded).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		PayOutOfStock: c("pay_out_of_stock_total", "Payments refused because a product had too little stock."),
		OrdersCreated: c("orders_created_total", "Orders created (including flash-sale orders)."),
		Refunds:       c("refunds_total", "Orders refunded."),
		Cancels:       c("cancels_total", "Unpaid orders cancelled by the buyer."),
		Closed:        c("closed_total", "Unpaid orders closed by the expired-order closer."),
		PaidSent:      c("order_paid_sent_total", "Order-paid messages the broker confirmed (SEND_OK)."),
		PaidFailed:    c("order_paid_failed_total", "Order-paid sends that failed (the outbox re-sends them)."),
		OutboxResent:  c("outbox_resent_total", "Order-paid messages re-sent by the outbox sweep."),
	}
	if reg != nil {
		reg.MustRegister(m.Requests, m.PaySeconds, m.PayOutOfStock, m.OrdersCreated, m.Refunds, m.Cancels,
			m.Closed, m.PaidSent, m.PaidFailed, m.OutboxResent)
	}
	return m
}
