package mysqlsink

import (
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// BenchmarkApply measures Apply of order rows in batches of 5000 against a raw bulk load of
// the same rows into the same server in the same run: plain multi-row INSERTs (same statement
// size, one transaction per batch) into an identical table without the version guard.
func BenchmarkApply(b *testing.B) {
	s, copyDB, _ := openTestSink(b)
	sinktest.BenchApply(b, s.Apply, func(rows []sink.Row) float64 { return rawLoad(b, s, copyDB, rows) })
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
		batch := rows[:min(sinktest.BenchBatch, len(rows))]
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
