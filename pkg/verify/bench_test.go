package verify_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
	"github.com/ferry-cdc/ferry/pkg/sink/chsink"
	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// BenchmarkVerify verifies an orders table of backfilltest.BenchRows() rows against both copies
// (loaded by a direct backfill) and reports rows/s per sink and the ratio of verify time to a
// plain full-table SELECT of the source table measured in the same run (the raw baseline).
func BenchmarkVerify(b *testing.B) {
	bs := backfilltest.NewBenchSource(b)
	src, srcDB, n := bs.Src, bs.DB, bs.Rows
	copies := backfilltest.NewCopies(b, bs.Stack)
	start := time.Now()
	copies.LoadChunks(b, src, srcDB, 10000)
	b.Logf("direct backfill of %d rows into both copies: %.1fs (%.0f rows/s)", n, time.Since(start).Seconds(), float64(n)/time.Since(start).Seconds())
	baseline := bs.FullSelect(b)
	b.Logf("plain full-table SELECT of %d rows: %.2fs", n, baseline.Seconds())
	ref := verify.TableRef{Database: srcDB, Name: "orders"}
	copyFor := map[string]verify.Copy{
		"mysql":      &mysqlsink.Reader{DB: copies.MySQL, Database: copies.MySQLCopy},
		"clickhouse": &chsink.Reader{DB: copies.CH, Database: copies.CHCopy},
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
