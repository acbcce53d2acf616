package sinktest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
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

// BenchBatch is the rows per Apply call in the apply benchmarks, and per raw load batch.
const BenchBatch = 5000

// BenchApply measures apply of order rows (shop.orders shape) in batches of BenchBatch
// against rawLoad of the same kind of rows into an identical table bench.orders_raw on the
// same server in the same run, and reports rows/s, raw_rows/s, their ratio and the peak RSS.
// rawLoad inserts its rows (all of one table) by the sink's native fast path and returns rows/s.
func BenchApply(b *testing.B, apply func(context.Context, *sink.Batch) error, rawLoad func(rows []sink.Row) float64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	table := OrdersTable("bench", "orders")
	rawTable := OrdersTable("bench", "orders_raw")
	// Create both tables with the sink's DDL, so the only difference is the statement.
	if err := apply(ctx, &sink.Batch{Rows: OrderRows(rng, rawTable, 1<<50, 1)}); err != nil {
		b.Fatal(err)
	}
	// The raw load runs half before and half after the measured loop, so warm-up and
	// background load on the shared machine affect both sides alike.
	rawBefore := rawLoad(OrderRows(rng, rawTable, 1, 2*BenchBatch))
	batches := make([][]sink.Row, b.N)
	for i := range batches {
		batches[i] = OrderRows(rng, table, uint64(i*BenchBatch+1), BenchBatch)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if err := apply(ctx, &sink.Batch{Rows: batches[i]}); err != nil {
			b.Fatal(err)
		}
	}
	rate := float64(b.N*BenchBatch) / time.Since(start).Seconds()
	b.StopTimer()
	rawAfter := rawLoad(OrderRows(rng, rawTable, 2*BenchBatch+1, 2*BenchBatch))
	rawRate := 2 / (1/rawBefore + 1/rawAfter) // same row count each: harmonic mean = total rows / total time
	b.ReportMetric(rate, "rows/s")
	b.ReportMetric(rawRate, "raw_rows/s")
	b.ReportMetric(rate/rawRate, "ratio")
	b.ReportMetric(PeakRSSMB(), "rss_MB")
}
