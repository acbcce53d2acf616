package backfilltest

import (
	"database/sql"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
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
// taken: the plain full-table SELECT the benchmarks compare against.
func (s *BenchSource) FullSelect(t testing.TB) time.Duration {
	t.Helper()
	t0 := time.Now()
	rows, err := s.Src.Query("SELECT * FROM `" + s.DB + "`.orders")
	if err != nil {
		t.Fatal(err)
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
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return time.Since(t0)
}
