// Package flashsale keeps flash-sale bursts away from MariaDB: stock is deducted in Redis by a
// Lua script (one unit per buyer per sale, idempotent by request id, a sold-out flag checked
// first), each winning request becomes a message on a flash-sale topic, and order-creation
// workers pull those messages at a capped rate and create the orders idempotently by request id.
// Reconcile compares Redis, the orders and the product's MariaDB stock.
package flashsale

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoSale is returned (wrapped) for a sale that does not exist or is not loaded into Redis.
var ErrNoSale = errors.New("no such flash sale")

// Sale is a flash sale: Stock units of ProductID at Price.
type Sale struct {
	ID        uint64
	ProductID uint64
	Price     string // decimal string
	Stock     int
	// Scope namespaces the sale's Redis keys (flash_sales ids restart in every database, so
	// use the database name); "" for none.
	Scope string
}

// keys are the sale's Redis keys; the {fs:N} hash tag keeps them in one cluster slot, which the
// Lua script requires.
type keys struct{ stock, soldOut, buyers, requests, base string }

func keysOf(s Sale) keys {
	p := fmt.Sprintf("{fs:%s:%d}:", s.Scope, s.ID)
	return keys{stock: p + "stock", soldOut: p + "sold_out", buyers: p + "buyers", requests: p + "requests", base: p + "mysql_base"}
}

func (k keys) list() []string { return []string{k.stock, k.soldOut, k.buyers, k.requests} }

// CreateSale inserts a flash_sales row for productID and returns the sale. The product should
// be dedicated to the sale: its MariaDB stock is what the sale's orders reserve from.
func CreateSale(ctx context.Context, db *sql.DB, productID uint64, price string, stock int, dur time.Duration, scope string) (Sale, error) {
	if stock <= 0 {
		return Sale{}, fmt.Errorf("create flash sale: stock %d: use 1 or more", stock)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	res, err := db.ExecContext(ctx, `INSERT INTO flash_sales (product_id, price, total_stock, per_user, starts_at, ends_at, created_at)
		VALUES (?, ?, ?, 1, ?, ?, ?)`, productID, price, stock, now, now.Add(dur), now)
	if err != nil {
		return Sale{}, fmt.Errorf("create flash sale of product %d: %w", productID, err)
	}
	id, _ := res.LastInsertId()
	return Sale{ID: uint64(id), ProductID: productID, Price: price, Stock: stock, Scope: scope}, nil
}

// LoadSale reads a sale from flash_sales.
func LoadSale(ctx context.Context, db *sql.DB, saleID uint64, scope string) (Sale, error) {
	s := Sale{ID: saleID, Scope: scope}
	err := db.QueryRowContext(ctx, `SELECT product_id, price, total_stock FROM flash_sales WHERE id = ?`, saleID).
		Scan(&s.ProductID, &s.Price, &s.Stock)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("%w: flash sale %d: create it first (orderflow flash-sale create)", ErrNoSale, saleID)
	}
	if err != nil {
		return s, fmt.Errorf("load flash sale %d: %w", saleID, err)
	}
	return s, nil
}

// Preload puts the sale's stock into Redis (resetting buyers, requests and the sold-out flag)
// and records the product's MariaDB stock at this moment as the reconciliation baseline.
func Preload(ctx context.Context, db *sql.DB, rdb redis.UniversalClient, s Sale) error {
	var base int
	if err := db.QueryRowContext(ctx, `SELECT stock FROM products WHERE id = ?`, s.ProductID).Scan(&base); err != nil {
		return fmt.Errorf("preload flash sale %d: read stock of product %d: %w", s.ID, s.ProductID, err)
	}
	if base < s.Stock {
		return fmt.Errorf("preload flash sale %d: product %d has %d units in MariaDB, fewer than the sale's %d: raise its stock",
			s.ID, s.ProductID, base, s.Stock)
	}
	k := keysOf(s)
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, k.soldOut, k.buyers, k.requests)
		p.Set(ctx, k.stock, s.Stock, 0)
		p.Set(ctx, k.base, base, 0)
		return nil
	})
	if err != nil {
		return fmt.Errorf("preload flash sale %d into Redis: %w", s.ID, err)
	}
	return nil
}
