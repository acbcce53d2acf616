package chsink

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// benchBatch is the rows per Apply call and per raw block.
const benchBatch = 50000

// BenchmarkApply measures Apply of order-schema rows (event strings) in batches of 50k rows,
// one table and four tables, against raw loads of the same kind and number of rows into
// identical tables on the same server in the same run: "raw" is a columnar native insert of
// pre-typed Go slices, one block per table (clickhouse-go's batch.Column(i).Append, not
// Ferry's code), the ceiling; "rowwise" is the same values appended row by row with
// batch.Append (the path the sink used before it went columnar). Value conversion of the raw
// loads is not timed; the sink's is.
func BenchmarkApply(b *testing.B) {
	s, copyDB, _ := openTestSink(b)
	sinktest.BenchApply(b, benchBatch, s.Apply,
		sinktest.RawLoad{Name: "raw", Load: func(rows []sink.Row) float64 { return rawLoad(b, s, copyDB, rows, false) }},
		sinktest.RawLoad{Name: "rowwise", Load: func(rows []sink.Row) float64 { return rawLoad(b, s, copyDB, rows, true) }})
}

// rawBlock is one table's rows as typed column slices.
type rawBlock struct {
	insert string
	cols   []any
	n      int
}

// rawLoad types rows per table up front (not timed), then times one native insert per table,
// columnar or (rowWise) row by row, and returns rows/s.
func rawLoad(b *testing.B, s *Sink, db string, rows []sink.Row, rowWise bool) float64 {
	ctx := context.Background()
	blocks := rawBlocks(b, s, db, rows)
	start := time.Now()
	for _, blk := range blocks {
		batch, err := s.conn.PrepareBatch(ctx, blk.insert)
		if err != nil {
			b.Fatal(err)
		}
		if rowWise {
			err = appendRows(batch.Append, blk)
		} else {
			for i, c := range blk.cols {
				if err = batch.Column(i).Append(c); err != nil {
					break
				}
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := batch.Send(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(len(rows)) / time.Since(start).Seconds()
}

// appendRows appends blk row by row (values boxed, as the row-wise API takes them).
func appendRows(appendRow func(...any) error, blk rawBlock) error {
	vals := make([][]any, blk.n)
	for i := range vals {
		vals[i] = make([]any, len(blk.cols))
		for j, c := range blk.cols {
			vals[i][j] = reflect.ValueOf(c).Index(i).Interface()
		}
	}
	for _, v := range vals {
		if err := appendRow(v...); err != nil {
			return err
		}
	}
	return nil
}

// rawBlocks groups rows by table and types each column by its copy type with plain strconv,
// time and decimal parsing (rows are well-formed).
func rawBlocks(b *testing.B, s *Sink, db string, rows []sink.Row) []rawBlock {
	byTable := map[string][]sink.Row{}
	var order []string
	for _, r := range rows {
		if byTable[r.Table.Name] == nil {
			order = append(order, r.Table.Name)
		}
		byTable[r.Table.Name] = append(byTable[r.Table.Name], r)
	}
	var blocks []rawBlock
	for _, name := range order {
		rs := byTable[name]
		t := rs[0].Table
		ct, err := s.loadTable(context.Background(), db, name)
		if err != nil {
			b.Fatal(err)
		}
		blk := rawBlock{n: len(rs)}
		names := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			names[i] = quote(c.Name)
			vals := make([]*string, len(rs))
			for j, r := range rs {
				vals[j] = r.Values[i]
			}
			blk.cols = append(blk.cols, rawColumn(b, ct.Types[c.Name], vals))
		}
		version, deleted := make([]uint64, len(rs)), make([]uint8, len(rs))
		for j, r := range rs {
			version[j] = r.Version
		}
		blk.cols = append(blk.cols, version, deleted)
		blk.insert = fmt.Sprintf("INSERT INTO %s.%s(%s,`_version`,`_deleted`)", quote(db), quote(name), strings.Join(names, ","))
		blocks = append(blocks, blk)
	}
	return blocks
}

func rawColumn(b *testing.B, ch string, vals []*string) any {
	inner, nullable := strings.CutPrefix(ch, "Nullable(")
	if nullable {
		inner = strings.TrimSuffix(inner, ")")
	}
	uint := func(bits int) func(string) uint64 {
		return func(s string) uint64 { v, _ := strconv.ParseUint(s, 10, bits); return v }
	}
	switch {
	case inner == "UInt64":
		return rawTyped(vals, nullable, uint(64))
	case inner == "UInt32":
		return rawTyped(vals, nullable, func(s string) uint32 { return uint32(uint(32)(s)) })
	case inner == "UInt16":
		return rawTyped(vals, nullable, func(s string) uint16 { return uint16(uint(16)(s)) })
	case inner == "Int64":
		return rawTyped(vals, nullable, func(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v })
	case inner == "String":
		return rawTyped(vals, nullable, func(s string) string { return s })
	case strings.HasPrefix(inner, "Decimal"):
		return rawTyped(vals, nullable, decimal.RequireFromString)
	case strings.HasPrefix(inner, "DateTime"):
		return rawTyped(vals, nullable, func(s string) time.Time {
			t, _ := time.ParseInLocation("2006-01-02 15:04:05.000", s, time.UTC)
			return t
		})
	}
	b.Fatalf("raw load: no conversion for copy type %s", ch)
	return nil
}

func rawTyped[T any](vals []*string, nullable bool, parse func(string) T) any {
	if !nullable {
		out := make([]T, len(vals))
		for i, v := range vals {
			out[i] = parse(*v)
		}
		return out
	}
	out := make([]*T, len(vals))
	for i, v := range vals {
		if v != nil {
			x := parse(*v)
			out[i] = &x
		}
	}
	return out
}

// BenchmarkConvert measures the sink's client-side work without a server: converting 50k
// order rows into typed column buffers (allocations per row show with -benchmem).
func BenchmarkConvert(b *testing.B) {
	table := sinktest.OrdersTable("bench", "orders")
	ct := &copyTable{DB: "bench", Name: "orders", Types: map[string]string{}}
	for i, c := range table.Columns {
		ch, err := CHType(c.MySQLType, FeaturesOf(18, 16))
		if err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			ch = "Nullable(" + ch + ")"
		}
		ct.Columns = append(ct.Columns, c.Name)
		ct.Types[c.Name] = ch
	}
	p, err := buildPlan(table, ct)
	if err != nil {
		b.Fatal(err)
	}
	rows := sinktest.OrderRows(rand.New(rand.NewPCG(1, 2)), table, 1, benchBatch)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		blk := p.getBlock()
		for _, r := range rows {
			for j, ci := range p.cols {
				if err := blk.cols[j].add(r.Values[ci]); err != nil {
					b.Fatal(err)
				}
			}
		}
		p.putBlock(blk)
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
}
