// Package consumers holds the order-paid consumers: points, coupon, notification and shipment.
// Each runs in its own consumer group and applies a message in ONE transaction whose first write
// is an insert keyed by the order (a unique key), so a redelivered or duplicated message changes
// nothing: exactly once in effect on top of RocketMQ's at-least-once delivery.
package consumers

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-cdc/ferry/pkg/orderflow"
)

// Handler applies one order-paid message inside tx. applied is false when the message had
// already been applied (a duplicate); then the handler must have changed nothing.
type Handler interface {
	Name() string
	Handle(ctx context.Context, tx *sql.Tx, m orderflow.OrderPaid) (applied bool, err error)
}

var (
	_ Handler = Points{}
	_ Handler = Coupon{}
	_ Handler = Notification{}
	_ Handler = Shipment{}
)

// insertOnce runs an INSERT ... ON DUPLICATE KEY UPDATE <no-op>; 1 row affected means inserted,
// 0 means the key existed (MariaDB reports 0 for a no-op duplicate update).
func insertOnce(ctx context.Context, tx *sql.Tx, what string, q string, args ...any) (bool, error) {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("insert %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert %s: %w", what, err)
	}
	return n == 1, nil
}

// Points adds one point per whole currency unit paid to user_points, guarded by the
// user_points_log row (order_id, 'order_paid').
type Points struct{}

// Name implements Handler.
func (Points) Name() string { return "points" }

// PointsFor returns the points earned for a paid amount ("129.90" -> 129).
func PointsFor(payAmount string) int64 {
	whole, _, _ := strings.Cut(payAmount, ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// Handle implements Handler.
func (Points) Handle(ctx context.Context, tx *sql.Tx, m orderflow.OrderPaid) (bool, error) {
	delta := PointsFor(m.PayAmount)
	ok, err := insertOnce(ctx, tx, "points log", `INSERT INTO user_points_log (order_id, reason, user_id, delta, created_at)
		VALUES (?, 'order_paid', ?, ?, ?) ON DUPLICATE KEY UPDATE order_id = order_id`,
		m.OrderID, m.UserID, delta, time.Now().UTC())
	if err != nil || !ok {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO user_points (user_id, points) VALUES (?, ?)
		ON DUPLICATE KEY UPDATE points = points + VALUES(points)`, m.UserID, delta); err != nil {
		return false, fmt.Errorf("add %d points to user %d: %w", delta, m.UserID, err)
	}
	return true, nil
}

// Coupon issues a 5.00 cash coupon (minimum spend 50.00, valid 30 days) per paid order, unique
// by coupons.source_order_id.
type Coupon struct{}

// Name implements Handler.
func (Coupon) Name() string { return "coupon" }

// CouponCode is the deterministic code of the coupon issued for an order.
func CouponCode(orderID uint64) string { return "PAID" + strconv.FormatUint(orderID, 36) }

// Handle implements Handler.
func (Coupon) Handle(ctx context.Context, tx *sql.Tx, m orderflow.OrderPaid) (bool, error) {
	now := time.Now().UTC()
	return insertOnce(ctx, tx, "coupon", `INSERT INTO coupons (user_id, code, kind, amount, min_spend, status,
		source_order_id, valid_until, created_at) VALUES (?, ?, 'cash', 5.00, 50.00, 'unused', ?, ?, ?)
		ON DUPLICATE KEY UPDATE id = id`, m.UserID, CouponCode(m.OrderID), m.OrderID,
		now.Add(30*24*time.Hour).Truncate(time.Second), now)
}

// Notification records an order-paid push notification, unique by (order_id, kind).
type Notification struct{}

// Name implements Handler.
func (Notification) Name() string { return "notification" }

// Handle implements Handler.
func (Notification) Handle(ctx context.Context, tx *sql.Tx, m orderflow.OrderPaid) (bool, error) {
	return insertOnce(ctx, tx, "notification", `INSERT INTO notifications (user_id, order_id, kind, channel, content, created_at)
		VALUES (?, ?, 'order_paid', 'push', ?, ?) ON DUPLICATE KEY UPDATE id = id`, m.UserID, m.OrderID,
		fmt.Sprintf("Your order %s is paid (%s). We are preparing it.", m.OrderNo, m.PayAmount), time.Now().UTC())
}

// Shipment creates a pending shipment per paid order, unique by shipments.order_id.
type Shipment struct{}

// Name implements Handler.
func (Shipment) Name() string { return "shipment" }

// Handle implements Handler.
func (Shipment) Handle(ctx context.Context, tx *sql.Tx, m orderflow.OrderPaid) (bool, error) {
	return insertOnce(ctx, tx, "shipment", `INSERT INTO shipments (order_id, warehouse, status, created_at)
		VALUES (?, ?, 'pending', ?) ON DUPLICATE KEY UPDATE id = id`, m.OrderID,
		fmt.Sprintf("WH-%d", m.OrderID%4), time.Now().UTC())
}

// All returns the four handlers.
func All() []Handler { return []Handler{Points{}, Coupon{}, Notification{}, Shipment{}} }

// ByName returns the named handlers ("points", "coupon", "notification", "shipment").
func ByName(names []string) ([]Handler, error) {
	all := map[string]Handler{}
	for _, h := range All() {
		all[h.Name()] = h
	}
	out := make([]Handler, 0, len(names))
	for _, n := range names {
		h, ok := all[n]
		if !ok {
			return nil, fmt.Errorf("unknown consumer %q: use points, coupon, notification or shipment", n)
		}
		out = append(out, h)
	}
	return out, nil
}
