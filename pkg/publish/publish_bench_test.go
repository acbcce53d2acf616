package publish

import (
	"fmt"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// BenchmarkPublish measures Publish's cost per row (validation, placement, grouping, encoding)
// into a no-op sender, for a backfill chunk of 10,000 rows shaped like the benchmark's orders
// (pkg/backfill/backfilltest.BulkOrders: 17 columns as the source's text).
func BenchmarkPublish(b *testing.B) {
	pub := testPublisher(b, publishtest.NopSender{}, 4, 1000, 1<<20, 4)
	const chunk = 10000
	cols := []string{"id", "order_no", "request_id", "user_id", "status", "total_amount", "discount_amount", "pay_amount",
		"item_count", "address", "remark", "source", "expire_at", "paid_at", "created_at", "updated_at", "version"}
	m := event.Message{Database: "shop", Table: "orders", PKNames: []string{"id"}, Type: event.TypeInsert,
		Ferry: &event.Meta{Format: event.Format, Snapshot: true, Columns: cols}}
	for i := range chunk {
		m.AddValues(benchOrderRow(i))
		m.Ferry.Versions = append(m.Ferry.Versions, 99)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := pub.Publish(b.Context(), []event.Message{m}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*chunk), "ns/row")
}

// benchOrderRow returns the values of order i as BulkOrders writes them.
func benchOrderRow(i int) []*string {
	t := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7 * time.Second)
	s := func(f string, a ...any) *string { return event.Str(fmt.Sprintf(f, a...)) }
	return []*string{s("%d", i), s("O%023d", i), s("req-%d", i), s("%d", 1000+i%5000), event.Str("paid"),
		s("%d.%02d", i%1000, i%100), s("%d.%02d", i%5, i%100), s("%d.%02d", i%1000, i%100), s("%d", 1+i%3),
		s(`{"city": "c%d"}`, i%97), nil, event.Str("app"), s("%s", t.Add(30*time.Minute).Format("2006-01-02 15:04:05")),
		s("%s", t.Format("2006-01-02 15:04:05.000000")), s("%s", t.Format("2006-01-02 15:04:05.000000")),
		s("%s", t.Format("2006-01-02 15:04:05.000000")), event.Str("1")}
}
