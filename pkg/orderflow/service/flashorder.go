package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ferry-cdc/ferry/pkg/orderflow"
)

// flashAddress is the placeholder address of a flash-sale order; the buyer confirms the real
// one when paying (outside this model).
const flashAddress = `{"pending":true,"note":"flash sale: address confirmed at payment"}`

// CreateFlashSaleOrder creates the order for one unit won in a flash sale, idempotently by the
// win's request id (orders.request_id is unique): a redelivered win returns the existing order
// with created = false. The unit's MariaDB stock is reserved in the same transaction; if the
// product has no stock left the result is ErrOutOfStock and nothing is written.
func (s *Service) CreateFlashSaleOrder(ctx context.Context, win orderflow.FlashSaleWin) (orderID uint64, created bool, err error) {
	price, err := ParseCents(win.Price)
	if err != nil || price < 0 {
		return 0, false, fmt.Errorf("%w: flash-sale price %q of request %s", ErrInvalid, win.Price, win.RequestID)
	}
	reqID := win.OrderRequestID()
	for attempt := 0; attempt < 3; attempt++ {
		orderID, err = s.createFlash(ctx, win, price)
		if err == nil {
			s.metrics.OrdersCreated.Inc()
			return orderID, true, nil
		}
		if !isDuplicate(err) {
			return 0, false, err
		}
		// Either the request id exists (a redelivery: return that order) or the order number
		// collided (try again with a new one).
		err = s.db.QueryRowContext(ctx, `SELECT id FROM orders WHERE request_id = ?`, reqID).Scan(&orderID)
		if err == nil {
			return orderID, false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, false, fmt.Errorf("look up order of request %s: %w", reqID, err)
		}
	}
	return 0, false, fmt.Errorf("create flash-sale order for request %s: order number kept colliding", reqID)
}

func (s *Service) createFlash(ctx context.Context, win orderflow.FlashSaleWin, price Cents) (uint64, error) {
	now := s.nowUTC()
	o := Order{OrderNo: s.newNo('F', now), RequestID: win.OrderRequestID(), UserID: win.UserID,
		Total: price, PayAmount: price, ItemCount: 1, Address: []byte(flashAddress), Source: SourceFlashSale,
		ExpireAt: now.Add(s.cfg.OrderTTL), CreatedAt: now}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		it := Item{LineNo: 1, ProductID: win.ProductID, UnitPrice: price, Quantity: 1, Amount: price}
		err := tx.QueryRowContext(ctx, `SELECT sku, name FROM products WHERE id = ?`, win.ProductID).Scan(&it.SKU, &it.ProductName)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: flash-sale product %d does not exist", ErrInvalid, win.ProductID)
		}
		if err != nil {
			return fmt.Errorf("load flash-sale product %d: %w", win.ProductID, err)
		}
		o.Items = []Item{it}
		if err := insertOrder(ctx, tx, &o); err != nil {
			return err
		}
		return takeStock(ctx, tx, o.ID) // the reservation (see package doc)
	})
	return o.ID, err
}
