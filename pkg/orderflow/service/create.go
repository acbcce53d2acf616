package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// validateCreate checks a create request without touching the database and returns its lines
// merged by product (two lines of one product become one) in product-id order.
func (s *Service) validateCreate(req CreateRequest) ([]ItemRequest, error) {
	switch {
	case req.UserID == 0:
		return nil, fmt.Errorf("%w: user_id is missing or 0: send the buyer's user id", ErrInvalid)
	case len(req.Items) == 0:
		return nil, fmt.Errorf("%w: items is empty: send at least one {product_id, quantity}", ErrInvalid)
	case len(req.Items) > s.cfg.MaxItems:
		return nil, fmt.Errorf("%w: %d items: at most %d lines per order", ErrInvalid, len(req.Items), s.cfg.MaxItems)
	case len(req.Remark) > 255:
		return nil, fmt.Errorf("%w: remark is %d bytes: at most 255", ErrInvalid, len(req.Remark))
	case req.Source != "" && req.Source != "app" && req.Source != "web" && req.Source != "mini":
		return nil, fmt.Errorf("%w: source %q: use app, web or mini", ErrInvalid, req.Source)
	}
	var addr map[string]any
	if err := json.Unmarshal(req.Address, &addr); err != nil || len(addr) == 0 {
		return nil, fmt.Errorf("%w: address must be a non-empty JSON object such as {\"city\":\"Hangzhou\",\"line1\":\"...\"}", ErrInvalid)
	}
	merged := map[uint64]int{}
	for i, it := range req.Items {
		if it.ProductID == 0 {
			return nil, fmt.Errorf("%w: items[%d].product_id is missing or 0", ErrInvalid, i)
		}
		if it.Quantity <= 0 || it.Quantity > s.cfg.MaxQuantity {
			return nil, fmt.Errorf("%w: items[%d].quantity %d: use 1-%d", ErrInvalid, i, it.Quantity, s.cfg.MaxQuantity)
		}
		merged[it.ProductID] += it.Quantity
	}
	out := make([]ItemRequest, 0, len(merged))
	for id, q := range merged {
		out = append(out, ItemRequest{ProductID: id, Quantity: q})
	}
	slices.SortFunc(out, func(a, b ItemRequest) int { return cmpU64(a.ProductID, b.ProductID) })
	return out, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Create validates req and inserts the order and its lines with status created. It reserves no
// stock (see the package doc); a coupon, if given, is marked used by this order.
func (s *Service) Create(ctx context.Context, req CreateRequest) (Order, error) {
	lines, err := s.validateCreate(req)
	if err != nil {
		return Order{}, err
	}
	var o Order
	for attempt := 0; attempt < 2; attempt++ { // a second try only on an order_no collision
		o, err = s.create(ctx, req, lines)
		if err == nil || !isDuplicate(err) {
			break
		}
	}
	return o, err
}

func (s *Service) create(ctx context.Context, req CreateRequest, lines []ItemRequest) (Order, error) {
	now := s.nowUTC()
	o := Order{OrderNo: s.newNo('O', now), UserID: req.UserID, Status: StatusCreated,
		CouponID: req.CouponID, Address: req.Address, Remark: req.Remark, Source: req.Source,
		ExpireAt: now.Add(s.cfg.OrderTTL), CreatedAt: now}
	if o.Source == "" {
		o.Source = SourceApp
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		items, err := loadItems(ctx, tx, lines)
		if err != nil {
			return err
		}
		o.Items = items
		o.Total, o.ItemCount = 0, 0
		for _, it := range items {
			o.Total += it.Amount
			o.ItemCount += it.Quantity
		}
		if o.Discount, err = useCoupon(ctx, tx, req, o.Total, now); err != nil {
			return err
		}
		o.PayAmount = o.Total - o.Discount
		return insertOrder(ctx, tx, &o)
	})
	if err != nil {
		return Order{}, err
	}
	s.metrics.OrdersCreated.Inc()
	return o, nil
}

// loadItems prices the lines from products; unknown or unsellable products are ErrInvalid.
func loadItems(ctx context.Context, tx *sql.Tx, lines []ItemRequest) ([]Item, error) {
	args := make([]any, len(lines))
	for i, l := range lines {
		args[i] = l.ProductID
	}
	q := "SELECT id, sku, name, price, status FROM products WHERE id IN (?" + strings.Repeat(",?", len(lines)-1) + ")"
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("load products: %w", err)
	}
	defer rows.Close()
	found := map[uint64]Item{}
	for rows.Next() {
		var it Item
		var price, status string
		if err := rows.Scan(&it.ProductID, &it.SKU, &it.ProductName, &price, &status); err != nil {
			return nil, fmt.Errorf("load products: %w", err)
		}
		if status != "on_sale" {
			return nil, fmt.Errorf("%w: product %d is %s: remove it from the order", ErrInvalid, it.ProductID, status)
		}
		if it.UnitPrice, err = ParseCents(price); err != nil {
			return nil, fmt.Errorf("load product %d: %w", it.ProductID, err)
		}
		found[it.ProductID] = it
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load products: %w", err)
	}
	items := make([]Item, 0, len(lines))
	for i, l := range lines {
		it, ok := found[l.ProductID]
		if !ok {
			return nil, fmt.Errorf("%w: unknown product %d: check the product id", ErrInvalid, l.ProductID)
		}
		it.LineNo, it.Quantity, it.Amount = i+1, l.Quantity, it.UnitPrice*Cents(l.Quantity)
		items = append(items, it)
	}
	return items, nil
}

// useCoupon locks and marks the request's coupon used and returns the discount (0 without one).
func useCoupon(ctx context.Context, tx *sql.Tx, req CreateRequest, total Cents, now time.Time) (Cents, error) {
	if req.CouponID == 0 {
		return 0, nil
	}
	var user uint64
	var kind, amount, minSpend, status string
	var validUntil dbTime
	err := tx.QueryRowContext(ctx, `SELECT user_id, kind, amount, min_spend, status, valid_until
		FROM coupons WHERE id = ? FOR UPDATE`, req.CouponID).Scan(&user, &kind, &amount, &minSpend, &status, &validUntil)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && user != req.UserID) {
		return 0, fmt.Errorf("%w: coupon %d does not exist for user %d", ErrInvalid, req.CouponID, req.UserID)
	}
	if err != nil {
		return 0, fmt.Errorf("load coupon %d: %w", req.CouponID, err)
	}
	amt, err1 := ParseCents(amount)
	min, err2 := ParseCents(minSpend)
	switch {
	case err1 != nil || err2 != nil:
		return 0, fmt.Errorf("load coupon %d: bad amounts %q/%q", req.CouponID, amount, minSpend)
	case status != "unused":
		return 0, fmt.Errorf("%w: coupon %d is %s: use an unused coupon", ErrConflict, req.CouponID, status)
	case !validUntil.T.After(now):
		return 0, fmt.Errorf("%w: coupon %d expired at %s", ErrConflict, req.CouponID, validUntil.T.Format(time.DateTime))
	case total < min:
		return 0, fmt.Errorf("%w: coupon %d needs a spend of %s, the order is %s", ErrInvalid, req.CouponID, min, total)
	}
	discount := amt
	if kind == "percent" {
		discount = total * amt / 10000 // amount holds the percentage, e.g. 10.00 = 10%
	}
	discount = min64(discount, total)
	if _, err := tx.ExecContext(ctx, `UPDATE coupons SET status = 'used' WHERE id = ? AND status = 'unused'`, req.CouponID); err != nil {
		return 0, fmt.Errorf("use coupon %d: %w", req.CouponID, err)
	}
	return discount, nil
}

func min64(a, b Cents) Cents {
	if a < b {
		return a
	}
	return b
}

// insertOrder inserts o and its lines and sets o.ID and the coupon's used_order_id.
func insertOrder(ctx context.Context, tx *sql.Tx, o *Order) error {
	var reqID, coupon, remark any
	if o.RequestID != "" {
		reqID = o.RequestID
	}
	if o.CouponID != 0 {
		coupon = o.CouponID
	}
	if o.Remark != "" {
		remark = o.Remark
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO orders (order_no, request_id, user_id, status, total_amount,
		discount_amount, pay_amount, coupon_id, item_count, address, remark, source, expire_at, created_at)
		VALUES (?, ?, ?, 'created', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.OrderNo, reqID, o.UserID, o.Total.String(), o.Discount.String(), o.PayAmount.String(), coupon,
		o.ItemCount, string(o.Address), remark, o.Source, o.ExpireAt, o.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert order %s: %w", o.OrderNo, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("insert order %s: %w", o.OrderNo, err)
	}
	o.ID = uint64(id)
	if err := insertItems(ctx, tx, o); err != nil {
		return err
	}
	if coupon != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE coupons SET used_order_id = ? WHERE id = ?`, o.ID, o.CouponID); err != nil {
			return fmt.Errorf("link coupon %d to order %d: %w", o.CouponID, o.ID, err)
		}
	}
	return nil
}

func insertItems(ctx context.Context, tx *sql.Tx, o *Order) error {
	q := "INSERT INTO order_items (order_id, line_no, product_id, sku, product_name, unit_price, quantity, amount, created_at) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?),", len(o.Items)), ",")
	args := make([]any, 0, 9*len(o.Items))
	for _, it := range o.Items {
		args = append(args, o.ID, it.LineNo, it.ProductID, it.SKU, it.ProductName, it.UnitPrice.String(),
			it.Quantity, it.Amount.String(), o.CreatedAt)
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("insert lines of order %d: %w", o.ID, err)
	}
	return nil
}
