package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ferry-cdc/ferry/pkg/orderflow"
)

// Payment channels accepted by Pay.
var payChannels = map[string]bool{"alipay": true, "wechat": true, "card": true, "balance": true}

// lockedOrder is the part of an order row that state transitions need, read FOR UPDATE.
type lockedOrder struct {
	id        uint64
	orderNo   string
	userID    uint64
	status    string
	payAmount string
	itemCount int
	couponID  sql.NullInt64
	source    string
	expireAt  dbTime
}

func lockOrder(ctx context.Context, tx *sql.Tx, id uint64) (lockedOrder, error) {
	o := lockedOrder{id: id}
	err := tx.QueryRowContext(ctx, `SELECT order_no, user_id, status, pay_amount, item_count, coupon_id, source, expire_at
		FROM orders WHERE id = ? FOR UPDATE`, id).Scan(&o.orderNo, &o.userID, &o.status, &o.payAmount,
		&o.itemCount, &o.couponID, &o.source, &o.expireAt)
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("%w: order %d does not exist", ErrNotFound, id)
	}
	if err != nil {
		return o, fmt.Errorf("lock order %d: %w", id, err)
	}
	return o, nil
}

// Pay marks a created order paid in ONE transaction: a conditional status UPDATE, the payment
// row, the stock decrement of every line (unless the order holds reserved stock) and the
// order-paid outbox row. After the commit the message is sent at once if a relay is configured;
// if that send fails the outbox keeps it and the relay's sweep re-sends it (at-least-once).
func (s *Service) Pay(ctx context.Context, orderID uint64, channel string) (PayResult, error) {
	if !payChannels[channel] {
		return PayResult{}, fmt.Errorf("%w: channel %q: use alipay, wechat, card or balance", ErrInvalid, channel)
	}
	start := time.Now()
	var res PayResult
	var msg orderflow.OrderPaid
	var outboxID uint64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		res, msg, outboxID, err = s.payTx(ctx, tx, orderID, channel)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrOutOfStock) {
			s.metrics.PayOutOfStock.Inc()
		}
		return PayResult{}, err
	}
	s.metrics.PaySeconds.Observe(time.Since(start).Seconds())
	if s.relay != nil {
		res.MessageSent = s.relay.SendNow(ctx, outboxID, s.cfg.PaidTopic, msg) == nil
	}
	return res, nil
}

func (s *Service) payTx(ctx context.Context, tx *sql.Tx, orderID uint64, channel string) (PayResult, orderflow.OrderPaid, uint64, error) {
	var none orderflow.OrderPaid
	o, err := lockOrder(ctx, tx, orderID)
	if err != nil {
		return PayResult{}, none, 0, err
	}
	now := s.nowUTC()
	switch {
	case o.status == StatusPaid:
		return PayResult{}, none, 0, fmt.Errorf("%w: order %d is already paid", ErrConflict, orderID)
	case o.status != StatusCreated:
		return PayResult{}, none, 0, fmt.Errorf("%w: order %d is %s: only created orders can be paid", ErrConflict, orderID, o.status)
	case !o.expireAt.T.After(now):
		return PayResult{}, none, 0, fmt.Errorf("%w: order %d expired at %s: create a new order", ErrConflict, orderID, o.expireAt.T.Format(time.RFC3339))
	}
	r, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'paid', paid_at = ? WHERE id = ? AND status = 'created'`, now, orderID)
	if err != nil {
		return PayResult{}, none, 0, fmt.Errorf("mark order %d paid: %w", orderID, err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return PayResult{}, none, 0, fmt.Errorf("%w: order %d changed state concurrently", ErrConflict, orderID)
	}
	if o.source != SourceFlashSale { // flash-sale orders reserved their unit at creation
		if err := takeStock(ctx, tx, orderID); err != nil {
			return PayResult{}, none, 0, err
		}
	}
	payNo := s.newNo('P', now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO payments (order_id, pay_no, channel, amount, status, paid_at, created_at)
		VALUES (?, ?, ?, ?, 'succeeded', ?, ?)`, orderID, payNo, channel, o.payAmount, now, now); err != nil {
		return PayResult{}, none, 0, fmt.Errorf("insert payment of order %d: %w", orderID, err)
	}
	msg := orderflow.OrderPaid{OrderID: orderID, OrderNo: o.orderNo, UserID: o.userID,
		PayAmount: o.payAmount, ItemCount: o.itemCount, PaidAt: now}
	outboxID, err := insertOutbox(ctx, tx, s.cfg.PaidTopic, msg, now)
	if err != nil {
		return PayResult{}, none, 0, err
	}
	return PayResult{OrderID: orderID, PaymentNo: payNo, Amount: o.payAmount}, msg, outboxID, nil
}

// takeStock decrements the stock of every line of the order, in product-id order (so two payers
// never lock products in opposite orders). The guard `stock >= ?` makes the decrement atomic:
// 0 rows affected means not enough stock, and the caller's transaction is rolled back.
func takeStock(ctx context.Context, tx *sql.Tx, orderID uint64) error {
	lines, err := orderLines(ctx, tx, orderID)
	if err != nil {
		return err
	}
	for _, l := range lines {
		r, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?`,
			l.Quantity, l.ProductID, l.Quantity)
		if err != nil {
			return fmt.Errorf("take stock of product %d for order %d: %w", l.ProductID, orderID, err)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: product %d has fewer than %d units left for order %d", ErrOutOfStock, l.ProductID, l.Quantity, orderID)
		}
	}
	return nil
}

// restoreStock gives back the stock of every line of the order.
func restoreStock(ctx context.Context, tx *sql.Tx, orderID uint64) error {
	lines, err := orderLines(ctx, tx, orderID)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock + ? WHERE id = ?`, l.Quantity, l.ProductID); err != nil {
			return fmt.Errorf("restore stock of product %d for order %d: %w", l.ProductID, orderID, err)
		}
	}
	return nil
}

// orderLines returns the order's (product, quantity) lines summed by product, in product-id order.
func orderLines(ctx context.Context, tx *sql.Tx, orderID uint64) ([]ItemRequest, error) {
	return queryAll(ctx, tx, fmt.Sprintf("read lines of order %d", orderID), func(rows *sql.Rows) (ItemRequest, error) {
		var l ItemRequest
		err := rows.Scan(&l.ProductID, &l.Quantity)
		return l, err
	}, `SELECT product_id, SUM(quantity) FROM order_items WHERE order_id = ?
		GROUP BY product_id ORDER BY product_id`, orderID)
}
