package service

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/ferry-cdc/ferry/pkg/orderflow"
	"github.com/ferry-cdc/ferry/pkg/orderflow/publish"
)

// insertOutbox records msg in order_outbox inside the pay transaction; the unique key
// (order_id, topic) means one message per paid order.
func insertOutbox(ctx context.Context, tx *sql.Tx, topic string, msg orderflow.OrderPaid, now time.Time) (uint64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO order_outbox (order_id, topic, msg_key, body, created_at)
		VALUES (?, ?, ?, ?, ?)`, msg.OrderID, topic, msg.Key(), string(msg.Encode()), now)
	if err != nil {
		return 0, fmt.Errorf("insert outbox message of order %d: %w", msg.OrderID, err)
	}
	id, err := res.LastInsertId()
	return uint64(id), err
}

// RelayConfig configures the outbox relay.
type RelayConfig struct {
	// SweepInterval is how often unsent rows are looked for.
	SweepInterval time.Duration `yaml:"outbox-sweep-interval"`
	// RetryAfter is how old an unsent row must be before the sweep re-sends it, so the sweep
	// does not race the send that Pay makes right after its commit.
	RetryAfter time.Duration `yaml:"outbox-retry-after"`
	// Batch bounds the rows sent per sweep.
	Batch int `yaml:"outbox-batch"`
}

// DefaultRelayConfig sweeps every second, re-sends rows unsent for 5 s, 500 per sweep.
func DefaultRelayConfig() RelayConfig {
	return RelayConfig{SweepInterval: time.Second, RetryAfter: 5 * time.Second, Batch: 500}
}

// Validate reports the first invalid field.
func (c RelayConfig) Validate() error {
	if c.SweepInterval <= 0 || c.RetryAfter < 0 || c.Batch < 1 {
		return fmt.Errorf("%w: outbox relay needs sweep interval > 0, retry-after >= 0, batch >= 1 (got %v, %v, %d)",
			ErrConfig, c.SweepInterval, c.RetryAfter, c.Batch)
	}
	return nil
}

// Relay sends order_outbox rows to RocketMQ and marks them sent once the broker stored them.
// Invariant: sent_at is set only after the publisher's verdict is SEND_OK, so every committed
// payment's message is eventually delivered at least once while the relay runs.
type Relay struct {
	db      *sql.DB
	pub     publish.Publisher
	cfg     RelayConfig
	metrics *Metrics
	log     *slog.Logger
}

// NewRelay returns a relay; a one-way publisher is refused because it gives no verdict.
func NewRelay(db *sql.DB, pub publish.Publisher, cfg RelayConfig, m *Metrics, log *slog.Logger) (*Relay, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if pub.Mode() == publish.ModeOneWay {
		return nil, fmt.Errorf("%w: order-paid messages need send mode sync or async: one-way sends can be lost", ErrConfig)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{db: db, pub: pub, cfg: cfg, metrics: m, log: log}, nil
}

// SendNow publishes one outbox row. In sync mode the returned error is the broker's verdict; in
// async mode nil means handed off and the verdict marks the row later.
func (r *Relay) SendNow(ctx context.Context, outboxID uint64, topic string, msg orderflow.OrderPaid) error {
	return r.send(ctx, outboxID, msg.OrderID, publish.Message{Topic: topic, Key: msg.Key(), Tag: "order_paid", Body: msg.Encode()})
}

func (r *Relay) send(ctx context.Context, id, orderID uint64, msg publish.Message) error {
	done := func(err error) { r.mark(id, err) }
	if err := r.pub.Publish(ctx, msg, done); err != nil {
		r.mark(id, err)
		return fmt.Errorf("send order-paid message of order %d (outbox %d): %w", orderID, id, err)
	}
	return nil
}

// mark records the verdict of one send; it uses its own short context because async verdicts
// arrive after the request's context ended.
func (r *Relay) mark(id uint64, sendErr error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	if sendErr == nil {
		r.metrics.PaidSent.Inc()
		_, err = r.db.ExecContext(ctx, `UPDATE order_outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL
			WHERE id = ?`, time.Now().UTC(), id)
	} else {
		r.metrics.PaidFailed.Inc()
		msg := sendErr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		_, err = r.db.ExecContext(ctx, `UPDATE order_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?`, msg, id)
	}
	if err != nil { // the row stays unsent (or is re-sent): a duplicate, never a loss
		r.log.Warn("outbox: recording send verdict failed", "outbox_id", id, "err", err)
	}
}

// Sweep sends up to Batch rows that are still unsent RetryAfter after their creation, oldest
// first, and returns how many it handed to the publisher.
func (r *Relay) Sweep(ctx context.Context) (int, error) {
	cutoff := time.Now().UTC().Add(-r.cfg.RetryAfter)
	type row struct {
		id, orderID      uint64
		topic, key, body string
	}
	todo, err := queryAll(ctx, r.db, "sweep outbox", func(rows *sql.Rows) (row, error) {
		var x row
		err := rows.Scan(&x.id, &x.orderID, &x.topic, &x.key, &x.body)
		return x, err
	}, `SELECT id, order_id, topic, msg_key, body FROM order_outbox
		WHERE sent_at IS NULL AND created_at <= ? ORDER BY id LIMIT ?`, cutoff, r.cfg.Batch)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, x := range todo {
		msg := publish.Message{Topic: x.topic, Key: x.key, Tag: "order_paid", Body: []byte(x.body)}
		if err := r.send(ctx, x.id, x.orderID, msg); err != nil {
			return sent, err
		}
		sent++
	}
	r.metrics.OutboxResent.Add(float64(sent))
	return sent, nil
}

// Run sweeps every SweepInterval until ctx ends; send failures are logged and retried.
func (r *Relay) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if n, err := r.Sweep(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("outbox sweep failed; will retry", "sent", n, "err", err)
		} else if n > 0 {
			r.log.Info("outbox sweep re-sent messages", "sent", n)
		}
	}
}
