package backfilltest

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/source"
)

// BenchSource is the source side of the backfill and verify benchmarks: a new source database
// whose orders table holds Rows rows, and a pool opened as backfill opens the source.
type BenchSource struct {
	Stack *testenv.Stack
	Src   *sql.DB
	DB    string // the source database
	Rows  int
}

// NewBenchSource creates the benchmark source database with the order schema and bulk-loads
// BenchRows() orders into it.
func NewBenchSource(t testing.TB) *BenchSource {
	t.Helper()
	return NewOrderSource(t, BenchRows())
}

// NewOrderSource creates a source database with the order schema, bulk-loads n orders into it
// (BulkOrders; n may be 0) and opens it as backfill opens the source.
func NewOrderSource(t testing.TB, n int) *BenchSource {
	t.Helper()
	st := testenv.Get(t)
	srcDB := st.NewSourceDatabase(t)
	testenv.LoadOrderSchema(t, st.OpenSource(t, srcDB))
	src := OpenSource(t, st)
	BulkOrders(t, src, srcDB, 0, n)
	return &BenchSource{Stack: st, Src: src, DB: srcDB, Rows: n}
}

// BenchRows is the size of the benchmark orders table: FERRY_BENCH_ROWS, default 1,000,000.
func BenchRows() int {
	if n, err := strconv.Atoi(os.Getenv("FERRY_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// FullSelect reads every row and column of the source's orders table once and returns the time
// taken: the plain full-table SELECT the benchmarks compare against. It reads the driver's rows
// as the backfill's chunk reader does (source.EachTextRow: each value as the server's text,
// without database/sql's Scan, the driver's number parsing or boxing): the fastest way this
// client takes the rows from the server.
func (s *BenchSource) FullSelect(t testing.TB) time.Duration {
	t.Helper()
	ctx := context.Background()
	conn, err := s.Src.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t0 := time.Now()
	n := 0
	err = source.EachTextRow(ctx, conn, "SELECT * FROM `"+s.DB+"`.orders", nil, func([][]byte) error {
		n++
		return nil
	})
	d := time.Since(t0)
	if err != nil {
		t.Fatal(err)
	}
	if n != s.Rows {
		t.Fatalf("full-table SELECT read %d rows, want %d", n, s.Rows)
	}
	return d
}
