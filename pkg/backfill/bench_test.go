package backfill_test

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
)

// BenchmarkBackfill backfills an orders table of backfilltest.BenchRows() rows through RocketMQ
// (the tailer's publisher, 4 queues) while two replayers apply it to the MySQL and the
// ClickHouse copy, and reports rows/s into each copy (until the copy holds every row) as a
// ratio of a plain full-table SELECT of the same table measured in the same run (target: >= 0.3).
// FERRY_BENCH_INFLIGHT overrides the chunks in flight (default 3).
func BenchmarkBackfill(b *testing.B) {
	bs := backfilltest.NewBenchSource(b)
	st, src, srcDB, n := bs.Stack, bs.Src, bs.DB, bs.Rows
	baseline := bs.FullSelect(b)
	selectRate := float64(n) / baseline.Seconds()
	b.Logf("plain full-table SELECT of %d rows: %.2fs (%.0f rows/s)", n, baseline.Seconds(), selectRate)
	for i := 0; i < b.N; i++ {
		copies := backfilltest.NewCopies(b, st)
		copies.EnsureSchema(b, st, srcDB)
		topic := st.NewTopic(b, 4)
		tcfg := backfilltest.TailerConfig(b, st, srcDB, topic)
		backfilltest.StartReplayer(b, st, topic, copies.MySQLSink, "mysql")
		backfilltest.StartReplayer(b, st, topic, copies.CHSink, "clickhouse")
		pub, err := backfill.NewCanalPublisher(context.Background(), tcfg, backfilltest.Logger())
		if err != nil {
			b.Fatal(err)
		}
		cfg := backfill.DefaultConfig()
		cfg.CheckpointDir, cfg.ChunkRows = b.TempDir(), 10000
		if n, err := strconv.Atoi(os.Getenv("FERRY_BENCH_INFLIGHT")); err == nil && n > 0 {
			cfg.InFlight = n
		}
		bf, err := backfill.New(cfg, src, pub, nil, backfilltest.Logger(), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		start := time.Now()
		done := map[string]time.Duration{}
		published := make(chan time.Duration, 1)
		go func() {
			if _, err := bf.Table(context.Background(), srcDB+".orders"); err != nil {
				b.Error(err)
			}
			published <- time.Since(start)
		}()
		counts := map[string]func() int{
			"mysql":      func() int { return count(b, copies.MySQL, "SELECT COUNT(*) FROM `"+copies.MySQLCopy+"`.orders") },
			"clickhouse": func() int { return count(b, copies.CH, "SELECT count() FROM `"+copies.CHCopy+"`.orders FINAL") },
		}
		for len(done) < 2 && time.Since(start) < 30*time.Minute {
			for name, f := range counts {
				if _, ok := done[name]; !ok && f() >= n {
					done[name] = time.Since(start)
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		b.StopTimer()
		pubTime := <-published
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = pub.Close(ctx)
		cancel()
		b.ReportMetric(float64(n)/pubTime.Seconds(), "published_rows/s")
		for name, d := range done {
			rate := float64(n) / d.Seconds()
			b.ReportMetric(rate, name+"_rows/s")
			b.ReportMetric(rate/selectRate, name+"_vs_select")
		}
		if len(done) < 2 {
			b.Fatalf("copies did not receive all %d rows: %v", n, done)
		}
	}
}

func count(b *testing.B, db *sql.DB, q string) int {
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}
