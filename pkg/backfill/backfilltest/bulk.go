package backfilltest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
)

// BulkOrders inserts orders with ids from+1 .. from+n into db.orders server-side (MariaDB's
// sequence engine), in statements of 100,000 rows: realistic width, every status, NULLs,
// millisecond timestamps. It is the fast way to build large tables for benchmarks.
func BulkOrders(t testing.TB, src *sql.DB, db string, from, n int) {
	t.Helper()
	const step = 100000
	for lo := from; lo < from+n; lo += step {
		hi := min(lo+step, from+n)
		q := fmt.Sprintf("INSERT INTO `%s`.orders (id, order_no, request_id, user_id, status, total_amount, discount_amount, pay_amount, "+
			"item_count, address, remark, source, expire_at, paid_at, created_at) "+
			"SELECT seq, CONCAT('O', LPAD(seq, 23, '0')), IF(seq %% 3 = 0, NULL, CONCAT('req-', seq)), 1000 + seq %% 5000, "+
			"ELT(1 + seq %% 7, 'created','paid','shipped','completed','cancelled','closed','refunded'), "+
			"(seq %% 100000) / 100 + 1, (seq %% 500) / 100, (seq %% 100000) / 100 + 1 - (seq %% 500) / 100, 1 + seq %% 3, "+
			"CONCAT('{\"city\": \"c', seq %% 97, '\"}'), IF(seq %% 5 = 0, CONCAT('note ', seq), NULL), ELT(1 + seq %% 4, 'app','web','mini','flash_sale'), "+
			"TIMESTAMP('2026-11-01') + INTERVAL seq * 7 SECOND + INTERVAL 30 MINUTE, "+
			"IF(seq %% 7 IN (0, 4, 5), NULL, TIMESTAMP('2026-11-01') + INTERVAL seq * 7 SECOND + INTERVAL (seq %% 997) * 1000 MICROSECOND), "+
			"TIMESTAMP('2026-11-01') + INTERVAL seq * 7 SECOND + INTERVAL (seq %% 1000) * 1000 MICROSECOND "+
			"FROM `%s`.seq_%d_to_%d", db, db, lo+1, hi)
		if _, err := src.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("bulk orders %d..%d: %v", lo+1, hi, err)
		}
	}
}
