package replayer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// BenchmarkReplayer measures the replayer end to end - broker, decoding, batching, sink - for
// each sink on 100,000 order rows published beforehand in messages of up to 50 rows over 4 queues,
// against sink.Apply of the same number of rows in 5000-row batches into the same server in the
// same run. Both rates are taken from the first applied batch to the last applied row (consumer
// start-up, rebalance and the table's creation excluded). The replayer's RSS is measured on the
// real process by internal/e2e BenchmarkEndToEndCatchUp (this process also holds the publisher
// and every generated row).
//
// The small_msgs variants send 2 rows per message (as the order flow's short transactions do),
// where the per-message cost and the messages per flush, not the rows, bound the rate.
func BenchmarkReplayer(b *testing.B) {
	st := testenv.Get(b)
	b.Run("mysql", func(b *testing.B) { benchReplayer(b, st, newMySQLTarget(b, st), 100_000, 50) })
	b.Run("clickhouse", func(b *testing.B) { benchReplayer(b, st, newCHTarget(b, st), 100_000, 50) })
	b.Run("mysql_small_msgs", func(b *testing.B) { benchReplayer(b, st, newMySQLTarget(b, st), 10000, 2) })
	b.Run("clickhouse_small_msgs", func(b *testing.B) { benchReplayer(b, st, newCHTarget(b, st), 10000, 2) })
}

func benchReplayer(b *testing.B, st *testenv.Stack, target copyTarget, total, perMsg int) {
	const queues = 4
	rng := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	for i := range b.N {
		raw := sinktest.OrdersTable("bench", fmt.Sprintf("raw_%d", i))
		var start time.Time
		for id := uint64(1); id <= uint64(total); id += 5000 {
			if err := target.Sink().Apply(ctx, &sink.Batch{Rows: sinktest.OrderRows(rng, raw, id, 5000)}); err != nil {
				b.Fatal(err)
			}
			if id == 1 { // like waitApplied, time from the first applied batch (it created the table)
				start = time.Now()
			}
		}
		rawRate := float64(total-5000) / time.Since(start).Seconds()

		topic := st.NewTopic(b, queues)
		table := sinktest.OrdersTable("bench", fmt.Sprintf("orders_%d", i))
		pub := newPublisher(b, st, topic, queues)
		for _, m := range benchMessages(sinktest.OrderRows(rng, table, 1, total), queues, perMsg) {
			pub.send(m)
		}
		cfg := testConfig(st, topic)
		// as `replayer run` with its per-sink defaults
		cfg.FlushInterval, cfg.MinFlushGap = DefaultFlushInterval(target.Name()), DefaultMinFlushGap(target.Name())
		r, err := New(cfg, target.Sink(), target.Name(), testLogger(b), nil)
		if err != nil {
			b.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.Run(rctx) }()
		rate := waitApplied(b, target, table.Name, total)
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rate, "rows/s")
		b.ReportMetric(rawRate, "raw_rows/s")
		b.ReportMetric(rate/rawRate, "ratio")
	}
}

// benchMessages groups rows by queue into messages of up to perMsg rows.
func benchMessages(rows []sink.Row, queues, perMsg int) []*event.Message {
	byQueue := make([][]sink.Row, queues)
	for _, r := range rows {
		m := rowMessage(r, 0)
		q := event.QueueFor(m.Database, m.Table, m.RowKey(0), queues)
		byQueue[q] = append(byQueue[q], r)
	}
	var out []*event.Message
	for _, qrows := range byQueue {
		for len(qrows) > 0 {
			chunk := qrows[:min(perMsg, len(qrows))]
			qrows = qrows[len(chunk):]
			out = append(out, chunkMessage(chunk, int64(len(out))))
		}
	}
	return out
}

// waitApplied waits until the copy has n rows and returns rows/s from the first applied row.
func waitApplied(b *testing.B, tg copyTarget, table string, n int) float64 {
	var first time.Time
	var firstCount int
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		got, _ := tg.Count(context.Background(), table)
		if got > 0 && first.IsZero() {
			first, firstCount = time.Now(), got
		}
		if got >= n {
			return float64(n-firstCount) / time.Since(first).Seconds()
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatalf("copy did not reach %d rows in 10 minutes", n)
	return 0
}
