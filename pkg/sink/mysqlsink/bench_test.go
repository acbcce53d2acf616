package mysqlsink

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

const benchBatch = 5000

// BenchmarkApply measures Apply of order rows in batches of 5000 against a raw bulk load of
// the same rows into the same server in the same run: plain multi-row INSERTs (same statement
// size, one transaction per batch) into an identical table without the version guard.
func BenchmarkApply(b *testing.B) {
	s, copyDB, _ := openTestSink(b)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	table := sinktest.OrdersTable("bench", "orders")
	rawTable := sinktest.OrdersTable("bench", "orders_raw")
	// Create both tables with the sink's DDL, so the only difference is the statement.
	if err := s.Apply(ctx, &sink.Batch{Rows: sinktest.OrderRows(rng, rawTable, 1<<50, 1)}); err != nil {
		b.Fatal(err)
	}
	// The raw load runs half before and half after the measured loop, so warm-up and
	// background load on the shared machine affect both sides alike.
	rawBefore := rawLoad(b, s, copyDB, sinktest.OrderRows(rng, rawTable, 1, 2*benchBatch))
	batches := make([][]sink.Row, b.N)
	for i := range batches {
		batches[i] = sinktest.OrderRows(rng, table, uint64(i*benchBatch+1), benchBatch)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if err := s.Apply(ctx, &sink.Batch{Rows: batches[i]}); err != nil {
			b.Fatal(err)
		}
	}
	rate := float64(b.N*benchBatch) / time.Since(start).Seconds()
	b.StopTimer()
	rawAfter := rawLoad(b, s, copyDB, sinktest.OrderRows(rng, rawTable, 2*benchBatch+1, 2*benchBatch))
	rawRate := 2 / (1/rawBefore + 1/rawAfter) // same row count each: harmonic mean = total rows / total time
	b.ReportMetric(rate, "rows/s")
	b.ReportMetric(rawRate, "raw_rows/s")
	b.ReportMetric(rate/rawRate, "ratio")
	b.ReportMetric(sinktest.PeakRSSMB(), "rss_MB")
}

// rawLoad inserts rows with plain multi-row INSERTs and returns rows/s.
func rawLoad(b *testing.B, s *Sink, db string, rows []sink.Row) float64 {
	t, total := rows[0].Table, len(rows)
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = quote(c.Name)
	}
	prefix := "INSERT INTO " + quote(db) + "." + quote(t.Name) + " (" + strings.Join(names, ", ") + ", `_version`, `_deleted`) VALUES "
	ph := "(" + strings.Repeat("?, ", len(names)+1) + "?)"
	start := time.Now()
	for len(rows) > 0 {
		batch := rows[:min(benchBatch, len(rows))]
		rows = rows[len(batch):]
		tx, err := s.DB().Begin()
		if err != nil {
			b.Fatal(err)
		}
		for len(batch) > 0 {
			stmt := batch[:min(s.cfg.StatementRows, len(batch))]
			batch = batch[len(stmt):]
			var sb strings.Builder
			sb.WriteString(prefix)
			args := make([]any, 0, len(stmt)*(len(names)+2))
			for i, r := range stmt {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString(ph)
				for _, v := range r.Values {
					if v == nil {
						args = append(args, nil)
					} else {
						args = append(args, *v)
					}
				}
				args = append(args, r.Version, 0)
			}
			if _, err := tx.Exec(sb.String(), args...); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(total) / time.Since(start).Seconds()
}
