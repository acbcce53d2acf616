package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const orderColumns = `id, order_no, COALESCE(request_id, ''), user_id, status, total_amount, discount_amount,
	pay_amount, COALESCE(coupon_id, 0), item_count, address, COALESCE(remark, ''), source, expire_at, paid_at,
	closed_at, created_at`

type rowScanner interface{ Scan(...any) error }

func scanOrder(r rowScanner) (Order, error) {
	var o Order
	var total, discount, pay, addr string
	var expire, paid, closed, created dbTime
	err := r.Scan(&o.ID, &o.OrderNo, &o.RequestID, &o.UserID, &o.Status, &total, &discount, &pay, &o.CouponID,
		&o.ItemCount, &addr, &o.Remark, &o.Source, &expire, &paid, &closed, &created)
	if err != nil {
		return o, err
	}
	o.Address = []byte(addr)
	o.ExpireAt, o.PaidAt, o.ClosedAt, o.CreatedAt = expire.T, paid.ptr(), closed.ptr(), created.T
	if o.Total, err = ParseCents(total); err == nil {
		if o.Discount, err = ParseCents(discount); err == nil {
			o.PayAmount, err = ParseCents(pay)
		}
	}
	return o, err
}

// Get returns the order with its lines; a missing order is ErrNotFound.
func (s *Service) Get(ctx context.Context, orderID uint64) (Order, error) {
	o, err := scanOrder(s.db.QueryRowContext(ctx, "SELECT "+orderColumns+" FROM orders WHERE id = ?", orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, fmt.Errorf("%w: order %d does not exist", ErrNotFound, orderID)
	}
	if err != nil {
		return Order{}, fmt.Errorf("read order %d: %w", orderID, err)
	}
	o.Items, err = queryAll(ctx, s.db, fmt.Sprintf("read lines of order %d", orderID), scanItem,
		`SELECT line_no, product_id, sku, product_name, unit_price, quantity, amount
		FROM order_items WHERE order_id = ? ORDER BY line_no`, orderID)
	if err != nil {
		return Order{}, err
	}
	return o, nil
}

// scanItem scans an order line (line_no, product_id, sku, product_name, unit_price, quantity, amount).
func scanItem(rows *sql.Rows) (Item, error) {
	var it Item
	var price, amount string
	err := rows.Scan(&it.LineNo, &it.ProductID, &it.SKU, &it.ProductName, &price, &it.Quantity, &amount)
	it.UnitPrice, _ = ParseCents(price)
	it.Amount, _ = ParseCents(amount)
	return it, err
}

// ListByUser returns a user's most recent orders (newest first, at most limit, without lines).
func (s *Service) ListByUser(ctx context.Context, userID uint64, limit int) ([]Order, error) {
	if limit <= 0 || limit > 200 {
		return nil, fmt.Errorf("%w: limit %d: use 1-200", ErrInvalid, limit)
	}
	return queryAll(ctx, s.db, fmt.Sprintf("list orders of user %d", userID), func(rows *sql.Rows) (Order, error) {
		return scanOrder(rows)
	}, "SELECT "+orderColumns+` FROM orders WHERE user_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, userID, limit)
}
