package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Refund refunds a paid order: status refunded, a refund row for the payment, and its stock
// given back. Orders in any other state get ErrConflict.
func (s *Service) Refund(ctx context.Context, orderID uint64, reason string) error {
	if len(reason) > 512 {
		return fmt.Errorf("%w: reason is %d bytes: at most 512", ErrInvalid, len(reason))
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		o, err := lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if o.status != StatusPaid {
			return fmt.Errorf("%w: order %d is %s: only paid orders can be refunded", ErrConflict, orderID, o.status)
		}
		now := s.nowUTC()
		var paymentID uint64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM payments WHERE order_id = ?`, orderID).Scan(&paymentID); err != nil {
			return fmt.Errorf("find payment of order %d: %w", orderID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'refunded' WHERE id = ? AND status = 'paid'`, orderID); err != nil {
			return fmt.Errorf("mark order %d refunded: %w", orderID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO refunds (order_id, payment_id, refund_no, amount, reason, status, created_at, refunded_at)
			VALUES (?, ?, ?, ?, ?, 'succeeded', ?, ?)`, orderID, paymentID, s.newNo('R', now), o.payAmount, reason, now, now); err != nil {
			return fmt.Errorf("insert refund of order %d: %w", orderID, err)
		}
		return restoreStock(ctx, tx, orderID)
	})
	if err == nil {
		s.metrics.Refunds.Inc()
	}
	return err
}

// Cancel cancels a created (unpaid) order at the buyer's request; see finishUnpaid.
func (s *Service) Cancel(ctx context.Context, orderID uint64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		o, err := lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if o.status != StatusCreated {
			return fmt.Errorf("%w: order %d is %s: only unpaid orders can be cancelled (refund a paid one)", ErrConflict, orderID, o.status)
		}
		return s.finishUnpaid(ctx, tx, o, StatusCancelled)
	})
	if err == nil {
		s.metrics.Cancels.Inc()
	}
	return err
}

// errNotExpired tells the closer that a candidate was paid or extended meanwhile.
var errNotExpired = errors.New("order no longer expired")

// closeExpired closes one order if it is still created and past its deadline.
func (s *Service) closeExpired(ctx context.Context, orderID uint64, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		o, err := lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if o.status != StatusCreated || o.expireAt.T.After(now) {
			return errNotExpired
		}
		return s.finishUnpaid(ctx, tx, o, StatusClosed)
	})
}

// finishUnpaid moves a locked created order to status (cancelled or closed), sets closed_at,
// releases its coupon and, if the order holds reserved stock (flash sale), gives it back.
func (s *Service) finishUnpaid(ctx context.Context, tx *sql.Tx, o lockedOrder, status string) error {
	now := s.nowUTC()
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = ?, closed_at = ? WHERE id = ? AND status = 'created'`,
		status, now, o.id); err != nil {
		return fmt.Errorf("mark order %d %s: %w", o.id, status, err)
	}
	if o.couponID.Valid {
		if _, err := tx.ExecContext(ctx, `UPDATE coupons SET status = 'unused', used_order_id = NULL
			WHERE id = ? AND used_order_id = ?`, o.couponID.Int64, o.id); err != nil {
			return fmt.Errorf("release coupon %d of order %d: %w", o.couponID.Int64, o.id, err)
		}
	}
	if o.source == SourceFlashSale {
		return restoreStock(ctx, tx, o.id)
	}
	return nil
}
