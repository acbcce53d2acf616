package backfilltest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// SeedOrders writes deterministic order data into database db (order schema loaded): 30
// products, n orders in every status over several days (millisecond timestamps), their items,
// payments, refunds, shipments and user points.
func SeedOrders(t testing.TB, src *sql.DB, db string, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ts := func(d time.Duration) string { return base.Add(d).Format("2006-01-02 15:04:05.000") }
	w := &batchWriter{t: t, db: src, schema: db}
	for p := 1; p <= 30; p++ {
		w.add("products", "id, sku, name, category, price, stock, status, flags, attrs, created_at",
			fmt.Sprintf("%d, 'SKU-%03d', 'Product %d ☕', 'cat%d', %d.%02d, %d, '%s', b'%b', '{\"color\": \"c%d\"}', '%s'",
				p, p, p, p%4, 5+r.IntN(200), r.IntN(100), r.IntN(500), []string{"on_sale", "off_sale"}[p%2], p%256, p, ts(time.Duration(p)*time.Minute)))
	}
	statuses := []string{"created", "paid", "shipped", "completed", "cancelled", "closed", "refunded"}
	refundID, shipID := 0, 0
	for o := 1; o <= n; o++ {
		st := statuses[r.IntN(len(statuses))]
		created := time.Duration(r.Int64N(int64(5*24*time.Hour/time.Millisecond))) * time.Millisecond
		items := 1 + r.IntN(3)
		var total int64
		for l := 1; l <= items; l++ {
			pid := 1 + r.IntN(30)
			price := int64(100 + r.IntN(20000))
			q := int64(1 + r.IntN(4))
			total += price * q
			w.add("order_items", "order_id, line_no, product_id, sku, product_name, unit_price, quantity, amount, created_at",
				fmt.Sprintf("%d, %d, %d, 'SKU-%03d', 'Product %d ☕', %s, %d, %s, '%s'", o, l, pid, pid, pid, money(price), q, money(price*q), ts(created)))
		}
		disc := int64(r.IntN(500))
		if disc > total {
			disc = 0
		}
		paidAt, paid := "NULL", st != "created" && st != "cancelled" && st != "closed"
		payTime := created + time.Duration(1+r.IntN(600000))*time.Millisecond
		if paid {
			paidAt = "'" + ts(payTime) + "'"
			w.add("payments", "id, order_id, pay_no, channel, amount, status, paid_at, created_at",
				fmt.Sprintf("%d, %d, 'P%023d', '%s', %s, 'succeeded', %s, '%s'", o, o, o, []string{"alipay", "wechat", "card"}[o%3], money(total-disc), paidAt, ts(created)))
			w.add("user_points", "user_id, points", fmt.Sprintf("%d, %d", 1000+o, r.IntN(1000)))
		}
		remark := "NULL"
		if o%5 == 0 {
			remark = fmt.Sprintf("'note %d: it''s \"quoted\"'", o)
		}
		w.add("orders", "id, order_no, request_id, user_id, status, total_amount, discount_amount, pay_amount, item_count, address, remark, source, expire_at, paid_at, created_at",
			fmt.Sprintf("%d, 'O%023d', %s, %d, '%s', %s, %s, %s, %d, '{\"city\": \"c%d\"}', %s, '%s', '%s', %s, '%s'",
				o, o, nullIf(o%3 == 0, fmt.Sprintf("'req-%d'", o)), 1000+r.IntN(50), st, money(total), money(disc), money(total-disc), items, o%9, remark,
				[]string{"app", "web", "mini", "flash_sale"}[o%4], ts(created+30*time.Minute), paidAt, ts(created)))
		if st == "refunded" || (paid && o%11 == 0) {
			refundID++
			rst := "succeeded"
			if st != "refunded" {
				rst = "failed"
			}
			w.add("refunds", "id, order_id, payment_id, refund_no, amount, reason, status, created_at, refunded_at",
				fmt.Sprintf("%d, %d, %d, 'R%023d', %s, 'changed mind', '%s', '%s', '%s'", refundID, o, o, refundID, money(total-disc), rst, ts(payTime+time.Hour), ts(payTime+2*time.Hour)))
		}
		if st == "shipped" || st == "completed" {
			shipID++
			w.add("shipments", "id, order_id, warehouse, carrier, tracking_no, status, created_at, shipped_at",
				fmt.Sprintf("%d, %d, 'wh%d', 'sf', 'T%d', 'shipped', '%s', '%s'", shipID, o, o%3, o, ts(payTime), ts(payTime+time.Duration(r.IntN(86400000))*time.Millisecond)))
		}
	}
	w.flushAll()
}

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

func nullIf(cond bool, v string) string {
	if cond {
		return "NULL"
	}
	return v
}

// batchWriter collects rows per table and inserts them 500 at a time.
type batchWriter struct {
	t      testing.TB
	db     *sql.DB
	schema string
	cols   map[string]string
	rows   map[string][]string
	order  []string
}

func (w *batchWriter) add(table, cols, values string) {
	if w.rows == nil {
		w.rows, w.cols = map[string][]string{}, map[string]string{}
	}
	if _, ok := w.cols[table]; !ok {
		w.order = append(w.order, table)
	}
	w.cols[table] = cols
	w.rows[table] = append(w.rows[table], "("+values+")")
	if len(w.rows[table]) >= 500 {
		w.flush(table)
	}
}

func (w *batchWriter) flush(table string) {
	if len(w.rows[table]) == 0 {
		return
	}
	q := fmt.Sprintf("INSERT INTO `%s`.`%s` (%s) VALUES %s", w.schema, table, w.cols[table], strings.Join(w.rows[table], ", "))
	if _, err := w.db.ExecContext(context.Background(), q); err != nil {
		w.t.Fatalf("seed %s: %v", table, err)
	}
	w.rows[table] = w.rows[table][:0]
}

func (w *batchWriter) flushAll() {
	for _, tb := range w.order {
		w.flush(tb)
	}
}
