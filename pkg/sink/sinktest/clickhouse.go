package sinktest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// ReadClickHouse reads the live rows of table from a ClickHouse copy's view database as
// canonical event strings by Key.
func ReadClickHouse(ctx context.Context, conn driver.Conn, viewDB string, table *sink.Table) (map[string][]*string, error) {
	cols := make([]string, len(table.Columns))
	for i, c := range table.Columns {
		cols[i] = "`" + c.Name + "`"
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rows, err := conn.Query(ctx, fmt.Sprintf("SELECT %s FROM `%s`.`%s`", strings.Join(cols, ", "), viewDB, table.Name))
	if err != nil {
		return nil, fmt.Errorf("read view %s.%s: %w", viewDB, table.Name, err)
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
			return nil, err
		}
		vals := make([]*string, len(cols))
		for i, p := range ptrs {
			vals[i] = canonical(reflect.ValueOf(p).Elem(), table.Columns[i].MySQLType)
		}
		out[Key(table, vals)] = vals
	}
	return out, rows.Err()
}

// canonical formats a scanned ClickHouse value as the change-event string of its MySQL type.
func canonical(v reflect.Value, mysqlType string) *string {
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

// TruncateFractions zeroes the fraction of datetime(n)/timestamp(n) values ("...:05.341" ->
// "...:05.000"): what a ClickHouse DateTime column (no DateTime64) keeps.
func TruncateFractions(t *sink.Table, rows map[string][]*string) map[string][]*string {
	out := make(map[string][]*string, len(rows))
	for k, vals := range rows {
		nv := append([]*string(nil), vals...)
		for i, c := range t.Columns {
			if nv[i] == nil || !(strings.HasPrefix(c.MySQLType, "datetime(") || strings.HasPrefix(c.MySQLType, "timestamp(")) {
				continue
			}
			if dot := strings.IndexByte(*nv[i], '.'); dot > 0 {
				v := (*nv[i])[:dot+1] + strings.Repeat("0", len(*nv[i])-dot-1)
				nv[i] = &v
			}
		}
		out[k] = nv
	}
	return out
}
