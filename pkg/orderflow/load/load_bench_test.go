package load

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawInsertRate measures the baseline: n single-row autocommit INSERTs into orders from
// workers goroutines, the plainest write MariaDB can take, in rows (= transactions) per second.
func rawInsertRate(b *testing.B, db *sql.DB, n, workers int) float64 {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				_, err := db.Exec(`INSERT INTO orders (order_no, user_id, total_amount, pay_amount, item_count, address,
					expire_at, created_at) VALUES (?, 1, 1.00, 1.00, 1, '{}', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
					fmt.Sprintf("RAW%021d", i))
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkGeneratorWriteRate runs the generator in-process (the db fast path, closed loop, 32
// workers, default mix) for b.N requests and reports its committed write operations per second
// next to the raw single-row INSERT rate of the same MariaDB measured in the same run.
// A generator write is a whole order transaction (create: 3-4 statements; pay: 6+), so the
// ratio is expected to be well below 1.
func BenchmarkGeneratorWriteRate(b *testing.B) {
	db, svc := newSeededDB(b, 200)
	const workers = 32
	raw := rawInsertRate(b, db, 4000, workers)
	cfg := DefaultConfig()
	cfg.Rate, cfg.Duration, cfg.Count, cfg.Workers, cfg.Progress = 0, 0, b.N, workers, 0
	b.ResetTimer()
	st, err := Run(context.Background(), db, ServiceTarget{svc}, cfg)
	b.StopTimer()
	if err != nil || st.Errors != 0 {
		b.Fatalf("run: %v, %d errors (%s)", err, st.Errors, st.FirstErr)
	}
	b.ReportMetric(st.WriteRate, "writes/s")
	b.ReportMetric(st.Rate, "requests/s")
	b.ReportMetric(raw, "raw_inserts/s")
	b.ReportMetric(st.WriteRate/raw, "writes/raw_ratio")
}
