package flashsale

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Report compares one sale's Redis state, its orders and the product's MariaDB stock.
type Report struct {
	SaleID         uint64   `json:"sale_id"`
	TotalStock     int      `json:"total_stock"`
	RedisStockLeft int      `json:"redis_stock_left"`
	RedisSold      int      `json:"redis_sold"`     // TotalStock - RedisStockLeft
	RedisBuyers    int      `json:"redis_buyers"`   // members of the buyers set
	RedisRequests  int      `json:"redis_requests"` // won request ids
	SoldOutFlag    bool     `json:"sold_out_flag"`
	Orders         int      `json:"orders"`           // orders created for the sale (any status)
	ActiveOrders   int      `json:"active_orders"`    // orders still holding their unit (not cancelled/closed/refunded)
	BuyersTwice    int      `json:"buyers_twice"`     // users with more than one order in the sale
	MySQLBaseStock int      `json:"mysql_base_stock"` // product stock when the sale was preloaded
	MySQLStock     int      `json:"mysql_stock"`
	ExpectedMySQL  int      `json:"expected_mysql_stock"` // base - active orders
	Differences    []string `json:"differences"`
}

// OK reports whether there is no difference.
func (r Report) OK() bool { return len(r.Differences) == 0 }

// Reconcile builds the report for s. Differences right after a burst can be messages still in
// flight to the workers; a settled sale must have none.
func Reconcile(ctx context.Context, db *sql.DB, rdb redis.UniversalClient, s Sale) (Report, error) {
	r := Report{SaleID: s.ID, TotalStock: s.Stock, Differences: []string{}}
	if err := r.readRedis(ctx, rdb, s); err != nil {
		return r, err
	}
	prefix := fmt.Sprintf("fs%d-%%", s.ID)
	err := db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(status NOT IN ('cancelled','closed','refunded')), 0)
		FROM orders WHERE request_id LIKE ?`, prefix).Scan(&r.Orders, &r.ActiveOrders)
	if err == nil {
		err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT user_id FROM orders WHERE request_id LIKE ?
			GROUP BY user_id HAVING COUNT(*) > 1) t`, prefix).Scan(&r.BuyersTwice)
	}
	if err == nil {
		err = db.QueryRowContext(ctx, `SELECT stock FROM products WHERE id = ?`, s.ProductID).Scan(&r.MySQLStock)
	}
	if err != nil {
		return r, fmt.Errorf("reconcile flash sale %d: %w", s.ID, err)
	}
	r.ExpectedMySQL = r.MySQLBaseStock - r.ActiveOrders
	r.compare()
	return r, nil
}

func (r *Report) readRedis(ctx context.Context, rdb redis.UniversalClient, s Sale) error {
	saleID := s.ID
	k := keysOf(s)
	stock, err := rdb.Get(ctx, k.stock).Int()
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("%w: sale %d has no stock key in Redis: preload it", ErrNoSale, saleID)
	}
	if err != nil {
		return fmt.Errorf("reconcile flash sale %d: read Redis stock: %w", saleID, err)
	}
	r.RedisStockLeft, r.RedisSold = stock, r.TotalStock-stock
	p := rdb.Pipeline()
	buyers, reqs, flag, base := p.SCard(ctx, k.buyers), p.HLen(ctx, k.requests), p.Exists(ctx, k.soldOut), p.Get(ctx, k.base)
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("reconcile flash sale %d: read Redis: %w", saleID, err)
	}
	r.RedisBuyers, r.RedisRequests, r.SoldOutFlag = int(buyers.Val()), int(reqs.Val()), flag.Val() == 1
	r.MySQLBaseStock, _ = strconv.Atoi(base.Val())
	return nil
}

func (r *Report) compare() {
	diff := func(cond bool, format string, args ...any) {
		if cond {
			r.Differences = append(r.Differences, fmt.Sprintf(format, args...))
		}
	}
	diff(r.RedisStockLeft < 0, "Redis stock is negative (%d): oversold", r.RedisStockLeft)
	diff(r.RedisBuyers != r.RedisSold, "Redis sold %d units but has %d buyers", r.RedisSold, r.RedisBuyers)
	diff(r.RedisRequests != r.RedisSold, "Redis sold %d units but recorded %d winning requests", r.RedisSold, r.RedisRequests)
	diff(r.Orders != r.RedisSold, "Redis sold %d units but %d orders exist (messages in flight, or lost/rejected wins)", r.RedisSold, r.Orders)
	diff(r.BuyersTwice > 0, "%d buyers have more than one order", r.BuyersTwice)
	diff(r.MySQLStock != r.ExpectedMySQL, "MariaDB stock is %d, expected %d (baseline %d - %d active orders)",
		r.MySQLStock, r.ExpectedMySQL, r.MySQLBaseStock, r.ActiveOrders)
	diff(r.MySQLStock < 0, "MariaDB stock is negative (%d)", r.MySQLStock)
}
