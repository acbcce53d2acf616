package verify_test

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// benchRows is the size of the benchmark table: FERRY_BENCH_ROWS, default 1,000,000.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("FERRY_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// BenchmarkVerify verifies an orders table of benchRows() rows against both copies (loaded by a
// direct backfill) and reports rows/s per sink and the ratio of verify time to a plain
// full-table SELECT of the source table measured in the same run (the raw baseline).
func BenchmarkVerify(b *testing.B) {
	n := benchRows()
	st := testenv.Get(b)
	srcDB := st.NewSourceDatabase(b)
	testenv.LoadOrderSchema(b, st.OpenSource(b, srcDB))
	src := backfilltest.OpenSource(b, st)
	backfilltest.BulkOrders(b, src, srcDB, 0, n)
	copies := backfilltest.NewCopies(b, st)
	start := time.Now()
	copies.LoadChunks(b, src, srcDB, 10000)
	b.Logf("direct backfill of %d rows into both copies: %.1fs (%.0f rows/s)", n, time.Since(start).Seconds(), float64(n)/time.Since(start).Seconds())
	baseline := fullSelect(b, src, srcDB)
	b.Logf("plain full-table SELECT of %d rows: %.2fs", n, baseline.Seconds())
	ref := verify.TableRef{Database: srcDB, Name: "orders"}
	copyFor := map[string]verify.Copy{
		"mysql":      &verify.MySQLCopy{DB: copies.MySQL, Database: copies.MySQLCopy},
		"clickhouse": &verify.ClickHouseCopy{DB: copies.CH, Database: copies.CHCopy},
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, name := range []string{"mysql", "clickhouse"} {
			v, err := verify.New(verify.DefaultConfig(), src, copyFor[name], nil, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			r, err := v.Table(context.Background(), ref)
			if err != nil {
				b.Fatal(err)
			}
			d := time.Since(t0)
			if !r.OK() || r.SourceRows != int64(n) {
				b.Fatalf("%s: ok=%v rows=%d diffs=%d", name, r.OK(), r.SourceRows, len(r.Diffs))
			}
			b.ReportMetric(d.Seconds(), name+"_seconds")
			b.ReportMetric(float64(n)/d.Seconds(), name+"_rows/s")
			b.ReportMetric(d.Seconds()/baseline.Seconds(), name+"_vs_select")
		}
	}
}

// fullSelect reads every row and column of db.orders once and returns the time taken.
func fullSelect(b *testing.B, src *sql.DB, db string) time.Duration {
	t0 := time.Now()
	rows, err := src.Query("SELECT * FROM `" + db + "`.orders")
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0)
}
