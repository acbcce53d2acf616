package load

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// SeedConfig says what Seed creates.
type SeedConfig struct {
	Products int   `yaml:"products"` // products SEED-000001.. (re-seeding resets their stock)
	Stock    int   `yaml:"stock"`    // stock per product
	Coupons  int   `yaml:"coupons"`  // one unused cash coupon for each of users 1..Coupons
	Seed     int64 `yaml:"seed"`     // prices and categories are reproducible per seed
}

// DefaultSeedConfig creates 1,000 products with 1,000,000 units each and 1,000 coupons.
func DefaultSeedConfig() SeedConfig {
	return SeedConfig{Products: 1000, Stock: 1_000_000, Coupons: 1000, Seed: 1}
}

var categories = []string{"books", "phones", "food", "toys", "garden", "sports", "beauty", "general"}

// Seed creates (or refreshes) the products and coupons the generator uses. The users of this
// schema are plain ids (there is no users table): the generator picks 1..Users.
func Seed(ctx context.Context, db *sql.DB, cfg SeedConfig) error {
	if cfg.Products < 1 || cfg.Stock < 1 || cfg.Coupons < 0 {
		return fmt.Errorf("seed: need products >= 1, stock >= 1, coupons >= 0 (got %+v)", cfg)
	}
	rnd := seedFor(cfg.Seed, 0)
	now := time.Now().UTC().Truncate(time.Millisecond)
	const batch = 500
	for from := 1; from <= cfg.Products; from += batch {
		to := min(from+batch-1, cfg.Products)
		var args []any
		for i := from; i <= to; i++ {
			price := fmt.Sprintf("%d.%02d", 1+rnd.IntN(500), rnd.IntN(100))
			args = append(args, fmt.Sprintf("SEED-%06d", i), fmt.Sprintf("Seeded product %d", i),
				categories[rnd.IntN(len(categories))], price, cfg.Stock, fmt.Sprintf(`{"color":"c%d"}`, rnd.IntN(12)), now)
		}
		q := `INSERT INTO products (sku, name, category, price, stock, attrs, created_at) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?),", to-from+1), ",") +
			` ON DUPLICATE KEY UPDATE stock = VALUES(stock), status = 'on_sale'`
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("seed products %d-%d: %w", from, to, err)
		}
	}
	for from := 1; from <= cfg.Coupons; from += batch {
		to := min(from+batch-1, cfg.Coupons)
		var args []any
		for u := from; u <= to; u++ {
			args = append(args, u, fmt.Sprintf("SEED-U%d", u), now.AddDate(0, 3, 0).Truncate(time.Second), now)
		}
		q := `INSERT INTO coupons (user_id, code, kind, amount, min_spend, valid_until, created_at) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, 'cash', 5.00, 30.00, ?, ?),", to-from+1), ",") +
			` ON DUPLICATE KEY UPDATE code = code`
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("seed coupons %d-%d: %w", from, to, err)
		}
	}
	return nil
}
