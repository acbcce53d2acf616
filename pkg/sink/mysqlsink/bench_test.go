package mysqlsink

import (
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// benchBatch is the rows per Apply call and per raw transaction.
const benchBatch = 5000

// BenchmarkApply measures Apply of order-schema rows in batches of 5000 (one table, and four
// tables) against a raw bulk load of the same rows into the same server in the same run:
// plain multi-row INSERTs (same statement size, one transaction per batch) into identical
// tables without the version guard.
func BenchmarkApply(b *testing.B) {
	s, copyDB, _ := openTestSink(b)
	sinktest.BenchApply(b, benchBatch, s.Apply,
		sinktest.RawLoad{Name: "raw", Load: func(rows []sink.Row) float64 { return rawLoad(b, s, copyDB, rows) }})
}

// rawLoad inserts rows with plain multi-row INSERTs, one transaction per benchBatch rows,
// and returns rows/s.
func rawLoad(b *testing.B, s *Sink, db string, rows []sink.Row) float64 {
	total := len(rows)
	start := time.Now()
	for len(rows) > 0 {
		batch := rows[:min(benchBatch, len(rows))]
		rows = rows[len(batch):]
		tx, err := s.DB().Begin()
		if err != nil {
			b.Fatal(err)
		}
		groups, err := sink.GroupByTable(&sink.Batch{Rows: batch})
		if err != nil {
			b.Fatal(err)
		}
		for _, g := range groups {
			for rs := g.Rows; len(rs) > 0; {
				n := min(s.cfg.StatementRows, len(rs))
				q, args := rawInsert(db, rs[:n])
				if _, err := tx.Exec(q, args...); err != nil {
					b.Fatal(err)
				}
				rs = rs[n:]
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(total) / time.Since(start).Seconds()
}

// rawInsert returns a multi-row INSERT of rows (all of one table) with their values as args.
func rawInsert(db string, rows []*sink.Row) (string, []any) {
	t := rows[0].Table
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = quote(c.Name)
	}
	ph := "(" + strings.Repeat("?, ", len(names)+1) + "?)"
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + quote(db) + "." + quote(t.Name) + " (" + strings.Join(names, ", ") + ", `_version`, `_deleted`) VALUES ")
	args := make([]any, 0, len(rows)*(len(names)+2))
	for i, r := range rows {
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
	return sb.String(), args
}
