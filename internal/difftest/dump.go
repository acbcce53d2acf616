package difftest

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// colInfo is a source column as information_schema describes it.
type colInfo struct {
	name, dataType string
	key            bool
	scale          int // NUMERIC_SCALE of a DECIMAL
}

// cell is one canonical value: the text both sides are compared by.
type cell struct {
	null bool
	v    string
}

func (c cell) String() string {
	if c.null {
		return "NULL"
	}
	return strconv.Quote(c.v)
}

// dump is a table's live rows by canonical key text, and the copy column types (ClickHouse).
type dump struct {
	rows    map[string][]cell
	chTypes []string
}

// sourceColumns reads the columns of db.table from information_schema, in table order.
func sourceColumns(ctx context.Context, db *sql.DB, schema, table string) ([]colInfo, error) {
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_KEY = 'PRI', COALESCE(NUMERIC_SCALE, 0)
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, schema, table)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s.%s: %w", schema, table, err)
	}
	defer rows.Close()
	var out []colInfo
	for rows.Next() {
		var c colInfo
		if err := rows.Scan(&c.name, &c.dataType, &c.key, &c.scale); err != nil {
			return nil, fmt.Errorf("scan columns of %s.%s: %w", schema, table, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 && rows.Err() == nil {
		return nil, fmt.Errorf("table %s.%s has no columns (does it exist?)", schema, table)
	}
	return out, rows.Err()
}

func selectList(cols []colInfo) string {
	var names []string
	for _, c := range cols {
		names = append(names, ident(c.name))
	}
	return strings.Join(names, ", ")
}

// rowKey is the canonical text of a row's key columns.
func rowKey(cols []colInfo, vals []cell) string {
	var parts []string
	for i, c := range cols {
		if c.key {
			parts = append(parts, vals[i].String())
		}
	}
	return strings.Join(parts, ",")
}

// dumpMySQL reads the rows of a MariaDB table through go-sql-driver's text protocol (where is
// "" for the source, "_deleted = 0" for the MySQL copy).
func dumpMySQL(ctx context.Context, db *sql.DB, schema, table, where string, cols []colInfo) (*dump, error) {
	q := fmt.Sprintf("SELECT %s FROM %s.%s", selectList(cols), ident(schema), ident(table))
	if where != "" {
		q += " WHERE " + where
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	d := &dump{rows: map[string][]cell{}}
	raw := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan %s.%s: %w", schema, table, err)
		}
		vals := make([]cell, len(cols))
		for i, c := range cols {
			vals[i] = mysqlCell(c, raw[i])
		}
		d.rows[rowKey(cols, vals)] = vals
	}
	return d, rows.Err()
}

// mysqlCell turns MariaDB text-protocol bytes into the canonical value: FLOAT and DOUBLE as the
// shortest text of the binary value, BIT as its unsigned number, YEAR as a number, the rest as is.
func mysqlCell(c colInfo, raw sql.RawBytes) cell {
	if raw == nil {
		return cell{null: true}
	}
	s := string(raw)
	switch c.dataType {
	case "float":
		if f, err := strconv.ParseFloat(s, 32); err == nil {
			return cell{v: strconv.FormatFloat(f, 'g', -1, 32)}
		}
	case "double":
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return cell{v: strconv.FormatFloat(f, 'g', -1, 64)}
		}
	case "bit":
		var b [8]byte
		copy(b[8-len(raw):], raw)
		return cell{v: strconv.FormatUint(binary.BigEndian.Uint64(b[:]), 10)}
	case "year":
		if n, err := strconv.Atoi(s); err == nil {
			return cell{v: strconv.Itoa(n)}
		}
	}
	return cell{v: s}
}

// dumpClickHouse reads the live rows of a ClickHouse copy table with clickhouse-go: FINAL
// collapses each key to its highest _version, then tombstones are dropped.
func dumpClickHouse(ctx context.Context, conn driver.Conn, schema, table string, cols []colInfo) (*dump, error) {
	q := fmt.Sprintf("SELECT %s FROM %s.%s FINAL WHERE _deleted = 0", selectList(cols), ident(schema), ident(table))
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	d := &dump{rows: map[string][]cell{}}
	types := rows.ColumnTypes()
	for _, ct := range types {
		d.chTypes = append(d.chTypes, ct.DatabaseTypeName())
	}
	for rows.Next() {
		dest := make([]any, len(types))
		for i, ct := range types {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan %s.%s: %w", schema, table, err)
		}
		vals := make([]cell, len(cols))
		for i := range cols {
			if vals[i], err = chCell(dest[i], d.chTypes[i]); err != nil {
				return nil, fmt.Errorf("%s.%s column %s: %w", schema, table, cols[i].name, err)
			}
		}
		d.rows[rowKey(cols, vals)] = vals
	}
	return d, rows.Err()
}

// chCell turns a scanned ClickHouse value into the canonical value.
func chCell(p any, chType string) (cell, error) {
	v := reflect.ValueOf(p).Elem()
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return cell{null: true}, nil
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case string:
		return cell{v: x}, nil
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64:
		return cell{v: fmt.Sprint(x)}, nil
	case float32:
		return cell{v: strconv.FormatFloat(float64(x), 'g', -1, 32)}, nil
	case float64:
		return cell{v: strconv.FormatFloat(x, 'g', -1, 64)}, nil
	case decimal.Decimal:
		var p, s int32
		if _, err := fmt.Sscanf(baseType(chType), "Decimal(%d, %d)", &p, &s); err != nil {
			return cell{}, fmt.Errorf("decimal type %s: %w", chType, err)
		}
		return cell{v: x.StringFixed(s)}, nil
	case time.Time:
		return cell{v: x.UTC().Format(timeLayout(chType))}, nil
	}
	return cell{}, fmt.Errorf("unexpected scan type %T for %s", v.Interface(), chType)
}

// baseType strips Nullable(...) from a ClickHouse type.
func baseType(ch string) string {
	if strings.HasPrefix(ch, "Nullable(") {
		return strings.TrimSuffix(strings.TrimPrefix(ch, "Nullable("), ")")
	}
	return ch
}

// timeLayout is the MariaDB text form of a ClickHouse date or time type's values.
func timeLayout(ch string) string {
	b := baseType(ch)
	var n int
	switch {
	case b == "Date" || b == "Date32":
		return "2006-01-02"
	case strings.HasPrefix(b, "DateTime64("):
		fmt.Sscanf(b, "DateTime64(%d", &n)
	}
	if n == 0 {
		return "2006-01-02 15:04:05"
	}
	return "2006-01-02 15:04:05." + strings.Repeat("0", n)
}
