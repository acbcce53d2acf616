package chsink

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// BenchmarkApply measures Apply of order rows (event strings) in batches of 5000 against a raw
// native batch insert of the same rows, already converted to Go values, into an identical
// table on the same server in the same run.
func BenchmarkApply(b *testing.B) {
	s, copyDB, _ := openTestSink(b)
	sinktest.BenchApply(b, s.Apply, func(rows []sink.Row) float64 { return rawLoad(b, s, copyDB, rows) })
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
		chunk := typed[:min(sinktest.BenchBatch, len(typed))]
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
