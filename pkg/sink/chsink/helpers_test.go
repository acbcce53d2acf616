package chsink

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// openTestSink opens a sink on fresh copy and view databases (dropped at cleanup).
func openTestSink(t testing.TB) (*Sink, string, string) {
	t.Helper()
	st := testenv.Get(t)
	cfg := DefaultConfig()
	cfg.Addr = st.ClickHouseAddr
	cfg.CopyDatabase = st.NewClickHouseDatabase(t)
	cfg.ViewDatabase = st.NewClickHouseDatabase(t)
	s, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("open clickhouse sink: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg.CopyDatabase, cfg.ViewDatabase
}

// readLive reads a view into canonical event strings by key.
func readLive(t *testing.T, s *Sink, viewDB string, table *sink.Table) map[string][]*string {
	t.Helper()
	cols := make([]string, len(table.Columns))
	for i, c := range table.Columns {
		cols[i] = quote(c.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rows, err := s.conn.Query(ctx, fmt.Sprintf("SELECT %s FROM %s.%s", strings.Join(cols, ", "), quote(viewDB), quote(table.Name)))
	if err != nil {
		t.Fatalf("read view: %v", err)
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	out := map[string][]*string{}
	for rows.Next() {
		ptrs := make([]any, len(cols))
		for i, ct := range types {
			ptrs[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		vals := make([]*string, len(cols))
		for i, p := range ptrs {
			vals[i] = canonical(t, reflect.ValueOf(p).Elem(), table.Columns[i].MySQLType)
		}
		out[sinktest.Key(table, vals)] = vals
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// canonical formats a scanned ClickHouse value as the change-event string of its MySQL type.
func canonical(t *testing.T, v reflect.Value, mysqlType string) *string {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	mt, _ := event.ParseMySQLType(mysqlType)
	var s string
	switch x := v.Interface().(type) {
	case decimal.Decimal:
		s = x.StringFixed(int32(mt.Scale))
	case time.Time:
		layout := "2006-01-02 15:04:05"
		if mt.Base == "date" {
			layout = "2006-01-02"
		} else if mt.FSP > 0 {
			layout += "." + strings.Repeat("0", mt.FSP)
		}
		s = x.UTC().Format(layout)
	case string:
		s = x
		if mt.IsBinary() {
			s = event.EncodeBytes([]byte(x))
		}
	default:
		s = fmt.Sprint(x)
	}
	return &s
}
