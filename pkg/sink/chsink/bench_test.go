package chsink

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

// BenchmarkApply measures Apply of order rows (event strings) in batches of 5000 against a raw
// native batch insert of the same rows, already converted to Go values, into an identical
// table on the same server in the same run.
func BenchmarkApply(b *testing.B) {
	s, copyDB, _ := openTestSink(b)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	table := sinktest.OrdersTable("bench", "orders")
	rawTable := sinktest.OrdersTable("bench", "orders_raw")
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

// rawLoad converts rows to Go values up front (not timed), then times native batch inserts.
func rawLoad(b *testing.B, s *Sink, db string, rows []sink.Row) float64 {
	ctx := context.Background()
	t := rows[0].Table
	ct, err := s.loadTable(ctx, db, t.Name)
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, len(t.Columns))
	convs := make([]converter, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = quote(c.Name)
		if convs[i], err = converterFor(ct.types[c.Name], c.MySQLType); err != nil {
			b.Fatal(err)
		}
	}
	typed := make([][]any, len(rows))
	for i, r := range rows {
		typed[i] = make([]any, len(names)+2)
		for j, v := range r.Values {
			if typed[i][j], err = convs[j](v); err != nil {
				b.Fatal(err)
			}
		}
		typed[i][len(names)], typed[i][len(names)+1] = r.Version, uint8(0)
	}
	insert := "INSERT INTO " + quote(db) + "." + quote(t.Name) + " (" + strings.Join(names, ", ") + ", `_version`, `_deleted`)"
	start := time.Now()
	for len(typed) > 0 {
		chunk := typed[:min(benchBatch, len(typed))]
		typed = typed[len(chunk):]
		batch, err := s.conn.PrepareBatch(ctx, insert)
		if err != nil {
			b.Fatal(err)
		}
		for _, vals := range chunk {
			if err := batch.Append(vals...); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Send(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(len(rows)) / time.Since(start).Seconds()
}
