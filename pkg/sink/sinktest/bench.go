package sinktest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// OrdersTable is the shape of shop.orders (schemas/order-db.sql), used by the apply benchmarks.
func OrdersTable(database, name string) *sink.Table {
	cols := []sink.Column{
		{Name: "id", MySQLType: "bigint(20) unsigned"},
		{Name: "order_no", MySQLType: "char(24)"},
		{Name: "request_id", MySQLType: "varchar(64)"},
		{Name: "user_id", MySQLType: "bigint(20) unsigned"},
		{Name: "status", MySQLType: "enum('created','paid','shipped','completed','cancelled','closed','refunded')"},
		{Name: "total_amount", MySQLType: "decimal(12,2)"},
		{Name: "discount_amount", MySQLType: "decimal(12,2)"},
		{Name: "pay_amount", MySQLType: "decimal(12,2)"},
		{Name: "coupon_id", MySQLType: "bigint(20) unsigned"},
		{Name: "item_count", MySQLType: "smallint(5) unsigned"},
		{Name: "address", MySQLType: "json"},
		{Name: "remark", MySQLType: "varchar(255)"},
		{Name: "source", MySQLType: "enum('app','web','mini','flash_sale')"},
		{Name: "expire_at", MySQLType: "datetime(3)"},
		{Name: "paid_at", MySQLType: "datetime(3)"},
		{Name: "closed_at", MySQLType: "datetime(3)"},
		{Name: "created_at", MySQLType: "datetime(3)"},
		{Name: "updated_at", MySQLType: "timestamp(3)"},
	}
	return &sink.Table{Database: database, Name: name, Columns: cols, PK: []string{"id"}}
}

// OrderRows returns n insert rows for OrdersTable with ids firstID.. and increasing versions.
func OrderRows(rng *rand.Rand, t *sink.Table, firstID uint64, n int) []sink.Row {
	rows := make([]sink.Row, n)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		id := firstID + uint64(i)
		at := base.Add(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Millisecond)
		ts := at.Format("2006-01-02 15:04:05.000")
		total := rng.IntN(100000)
		vals := []*string{
			ptr(strconv.FormatUint(id, 10)), ptr(fmt.Sprintf("O%023d", id)), ptr(fmt.Sprintf("req-%d-%d", id, rng.IntN(1e9))),
			ptr(strconv.Itoa(rng.IntN(100000))), ptr([]string{"created", "paid", "shipped"}[rng.IntN(3)]),
			ptr(fmt.Sprintf("%d.%02d", total, rng.IntN(100))), ptr("0.00"), ptr(fmt.Sprintf("%d.%02d", total, rng.IntN(100))),
			nil, ptr(strconv.Itoa(1 + rng.IntN(9))),
			ptr(fmt.Sprintf(`{"city":"Hangzhou","street":"%d West Lake Rd","zip":"310000"}`, rng.IntN(999))),
			nil, ptr("app"), ptr(at.Add(30 * time.Minute).Format("2006-01-02 15:04:05.000")), nil, nil, ptr(ts), ptr(ts),
		}
		rows[i] = sink.Row{Table: t, Op: sink.OpInsert, Version: 1<<40 + id*4, Values: vals}
	}
	return rows
}

// PeakRSSMB returns the process's peak resident set size (VmHWM) in MiB, or 0 if unknown.
func PeakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// OrderItemsTable, PaymentsTable and PointsLogTable are the shapes of shop.order_items,
// shop.payments and shop.user_points_log (schemas/order-db.sql), for multi-table batches.
func OrderItemsTable(database, name string) *sink.Table {
	return &sink.Table{Database: database, Name: name, PK: []string{"order_id", "line_no"}, Columns: []sink.Column{
		{Name: "order_id", MySQLType: "bigint(20) unsigned"}, {Name: "line_no", MySQLType: "smallint(5) unsigned"},
		{Name: "product_id", MySQLType: "bigint(20) unsigned"}, {Name: "sku", MySQLType: "varchar(64)"},
		{Name: "product_name", MySQLType: "varchar(255)"}, {Name: "unit_price", MySQLType: "decimal(12,2)"},
		{Name: "quantity", MySQLType: "int(10) unsigned"}, {Name: "amount", MySQLType: "decimal(12,2)"},
		{Name: "created_at", MySQLType: "datetime(3)"},
	}}
}

// PaymentsTable is the shape of shop.payments; see OrderItemsTable.
func PaymentsTable(database, name string) *sink.Table {
	return &sink.Table{Database: database, Name: name, PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "bigint(20) unsigned"}, {Name: "order_id", MySQLType: "bigint(20) unsigned"},
		{Name: "pay_no", MySQLType: "char(24)"}, {Name: "channel", MySQLType: "enum('alipay','wechat','card','balance')"},
		{Name: "amount", MySQLType: "decimal(12,2)"}, {Name: "status", MySQLType: "enum('pending','succeeded','failed')"},
		{Name: "callback", MySQLType: "json"}, {Name: "paid_at", MySQLType: "datetime(3)"},
		{Name: "created_at", MySQLType: "datetime(3)"},
	}}
}

// PointsLogTable is the shape of shop.user_points_log; see OrderItemsTable.
func PointsLogTable(database, name string) *sink.Table {
	return &sink.Table{Database: database, Name: name, PK: []string{"order_id", "reason"}, Columns: []sink.Column{
		{Name: "order_id", MySQLType: "bigint(20) unsigned"}, {Name: "reason", MySQLType: "enum('order_paid','order_refunded')"},
		{Name: "user_id", MySQLType: "bigint(20) unsigned"}, {Name: "delta", MySQLType: "bigint(20)"},
		{Name: "created_at", MySQLType: "datetime(3)"},
	}}
}

// OrderSchemaRows returns about n insert rows of a paid order's writes: per order one row of
// orders, two of order_items, one of payments and one of user_points_log (tables of database
// db named after the shop tables plus suffix), order ids from firstID.
func OrderSchemaRows(rng *rand.Rand, db, suffix string, firstID uint64, n int) []sink.Row {
	orders := OrderRows(rng, OrdersTable(db, "orders"+suffix), firstID, max(1, n/5))
	items, pays, logs := OrderItemsTable(db, "order_items"+suffix), PaymentsTable(db, "payments"+suffix), PointsLogTable(db, "user_points_log"+suffix)
	rows := make([]sink.Row, 0, 5*len(orders))
	for _, o := range orders {
		id, at, amount, user := *o.Values[0], *o.Values[16], *o.Values[7], *o.Values[3]
		row := func(t *sink.Table, k uint64, vals ...*string) {
			rows = append(rows, sink.Row{Table: t, Op: sink.OpInsert, Version: o.Version + k, Values: vals})
		}
		rows = append(rows, o)
		for line := range 2 {
			pid := strconv.Itoa(1 + rng.IntN(5000))
			row(items, 1, ptr(id), ptr(strconv.Itoa(line+1)), ptr(pid), ptr("SKU-"+pid), ptr("Product "+pid+" deluxe edition"),
				ptr(fmt.Sprintf("%d.%02d", rng.IntN(5000), rng.IntN(100))), ptr("1"), ptr(amount), ptr(at))
		}
		row(pays, 2, ptr(id), ptr(id), ptr(fmt.Sprintf("P%023s", id)), ptr("alipay"), ptr(amount), ptr("succeeded"),
			ptr(`{"trade_no":"`+id+`","code":"10000"}`), ptr(at), ptr(at))
		row(logs, 3, ptr(id), ptr("order_paid"), ptr(user), ptr(strconv.Itoa(rng.IntN(500))), ptr(at))
	}
	return rows
}

// BenchShape is one kind of batch of the apply benchmarks: Rows returns about n rows for
// tables of database db whose names end in suffix, keys from firstID.
type BenchShape struct {
	Name string
	Rows func(rng *rand.Rand, db, suffix string, firstID uint64, n int) []sink.Row
}

// BenchShapes are the batches the apply benchmarks measure: one table (orders), and the
// order schema's five-row writes of a paid order over four tables.
var BenchShapes = []BenchShape{
	{Name: "orders", Rows: func(rng *rand.Rand, db, suffix string, firstID uint64, n int) []sink.Row {
		return OrderRows(rng, OrdersTable(db, "orders"+suffix), firstID, n)
	}},
	{Name: "order-schema", Rows: OrderSchemaRows},
}

// RawLoad is a baseline of the apply benchmarks: Load inserts rows (of one or more tables,
// already created) the plain way its name says and returns rows/s.
type RawLoad struct {
	Name string // metric "<Name>_rows/s"
	Load func(rows []sink.Row) float64
}

// nextID hands out key ranges, so that repeated benchmark runs never write a key twice.
var nextID atomic.Uint64

// BenchApply runs one sub-benchmark per BenchShape: apply of batches of batch rows into
// tables of database bench against the raw loads of the same kind and number of rows into
// identical tables (suffix _raw) on the same server in the same run. It reports rows/s, each
// raw load's rows/s, the ratio of rows/s to the first raw load and the peak RSS.
func BenchApply(b *testing.B, batch int, apply func(context.Context, *sink.Batch) error, raws ...RawLoad) {
	for _, shape := range BenchShapes {
		b.Run(shape.Name, func(b *testing.B) { benchShape(b, shape, batch, apply, raws) })
	}
}

func benchShape(b *testing.B, shape BenchShape, batch int, apply func(context.Context, *sink.Batch) error, raws []RawLoad) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	ids := func(n int) uint64 { return nextID.Add(uint64(n)) - uint64(n) + 1 }
	// Create the raw tables with the sink's DDL, so the only difference is the statements.
	if err := apply(ctx, &sink.Batch{Rows: shape.Rows(rng, "bench", "_raw", ids(5), 5)}); err != nil {
		b.Fatal(err)
	}
	// Each raw load runs half before and half after the measured loop, so warm-up and
	// background load on the shared machine affect both sides alike.
	rawRates := make([]float64, len(raws))
	for i, r := range raws {
		rawRates[i] = 1 / r.Load(shape.Rows(rng, "bench", "_raw", ids(batch), batch))
	}
	var elapsed time.Duration
	rows := 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		bt := &sink.Batch{Rows: shape.Rows(rng, "bench", "", ids(batch), batch)}
		b.StartTimer()
		start := time.Now()
		if err := apply(ctx, bt); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		rows += len(bt.Rows)
	}
	b.StopTimer()
	rate := float64(rows) / elapsed.Seconds()
	b.ReportMetric(rate, "rows/s")
	for i, r := range raws {
		rawRates[i] += 1 / r.Load(shape.Rows(rng, "bench", "_raw", ids(batch), batch))
		rawRates[i] = 2 / rawRates[i] // same row count each: harmonic mean = total rows / total time
		b.ReportMetric(rawRates[i], r.Name+"_rows/s")
	}
	if len(raws) > 0 {
		b.ReportMetric(rate/rawRates[0], "ratio")
	}
	b.ReportMetric(PeakRSSMB(), "rss_MB")
}
