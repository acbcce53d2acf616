package chsink

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// Features are the server capabilities the sink adapts to.
type Features struct {
	DateTime64   bool // DateTime64(n) exists (20.1+)
	RenameColumn bool // ALTER TABLE ... RENAME COLUMN exists (20.4+)
	Date32       bool // Date32 (dates before 1970) exists (21.9+)
}

// FeaturesOf returns the capabilities of a server version.
func FeaturesOf(major, minor uint64) Features {
	atLeast := func(ma, mi uint64) bool { return major > ma || (major == ma && minor >= mi) }
	return Features{DateTime64: atLeast(20, 1), RenameColumn: atLeast(20, 4), Date32: atLeast(21, 9)}
}

// CHType maps a MySQL column type to the ClickHouse type of the copy column (without
// Nullable); see schemas/clickhouse-types.md.
func CHType(mysqlType string, f Features) (string, error) {
	ct, err := event.ParseMySQLType(mysqlType)
	if err != nil {
		return "", fmt.Errorf("%w: %v", sink.ErrBadRow, err)
	}
	u := ""
	if ct.Unsigned {
		u = "U"
	}
	switch ct.Base {
	case "tinyint":
		return u + "Int8", nil
	case "smallint":
		return u + "Int16", nil
	case "mediumint", "int", "integer":
		return u + "Int32", nil
	case "bigint":
		return u + "Int64", nil
	case "decimal", "numeric":
		p := ct.Precision
		if p == 0 {
			p = 10
		}
		if p > 38 {
			return "String", nil
		}
		return fmt.Sprintf("Decimal(%d, %d)", p, ct.Scale), nil
	case "float":
		return "Float32", nil
	case "double", "real":
		return "Float64", nil
	case "bit":
		return "UInt64", nil
	case "year":
		return "UInt16", nil
	case "date":
		if f.Date32 {
			return "Date32", nil // dates before 1970 (Date stops there)
		}
		return "Date", nil
	case "datetime", "timestamp":
		// DATETIME reaches back to year 1000: DateTime64 holds times before 1970, DateTime does
		// not. TIMESTAMP starts in 1970, so DateTime holds its whole seconds.
		if f.DateTime64 && (ct.FSP > 0 || ct.Base == "datetime") {
			return fmt.Sprintf("DateTime64(%d, 'UTC')", ct.FSP), nil
		}
		return "DateTime('UTC')", nil
	}
	// char/varchar/text/json/enum/set/time/binary/blob and anything else: String
	return "String", nil
}

// converter turns an event value into the Go value clickhouse-go appends for a column.
type converter func(v *string) (any, error)

// converterFor returns the converter for a copy column of ClickHouse type chType whose event
// values have MySQL type mysqlType. Nullable columns take nil for SQL NULL; key columns never
// get NULL (the event format guarantees non-null key values).
func converterFor(chType, mysqlType string) (converter, error) {
	inner, nullable := strings.CutPrefix(chType, "Nullable(")
	if nullable {
		inner = strings.TrimSuffix(inner, ")")
	}
	mt, err := event.ParseMySQLType(mysqlType)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", sink.ErrBadRow, err)
	}
	base, err := baseConverter(inner, mt)
	if err != nil {
		return nil, err
	}
	return func(v *string) (any, error) {
		if v == nil {
			if !nullable {
				return nil, fmt.Errorf("%w: NULL for non-nullable %s column", sink.ErrBadRow, chType)
			}
			return nil, nil
		}
		return base(*v)
	}, nil
}

func baseConverter(ch string, mt event.ColumnType) (func(string) (any, error), error) {
	switch {
	case strings.HasPrefix(ch, "Int") || strings.HasPrefix(ch, "UInt"):
		return intConverter(ch)
	case ch == "Float32":
		return func(s string) (any, error) { f, err := strconv.ParseFloat(s, 32); return float32(f), bad(err, s) }, nil
	case ch == "Float64":
		return func(s string) (any, error) { f, err := strconv.ParseFloat(s, 64); return f, bad(err, s) }, nil
	case strings.HasPrefix(ch, "Decimal"):
		return func(s string) (any, error) { return s, nil }, nil // clickhouse-go parses exact text
	case ch == "Date", ch == "Date32", strings.HasPrefix(ch, "DateTime"):
		lo, hi := timeRange(ch)
		return func(s string) (any, error) { return parseTime(s, lo, hi) }, nil
	case ch == "String" && sink.IsBytes(mt):
		return func(s string) (any, error) {
			b, err := event.DecodeBytes(s)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", sink.ErrBadRow, err)
			}
			return string(b), nil
		}, nil
	case ch == "String", strings.HasPrefix(ch, "FixedString"), strings.HasPrefix(ch, "LowCardinality(String"):
		return func(s string) (any, error) { return s, nil }, nil
	}
	return nil, fmt.Errorf("%w: copy column type %s is not supported; change it to one from schemas/clickhouse-types.md", sink.ErrBadRow, ch)
}

func intConverter(ch string) (func(string) (any, error), error) {
	bits := map[string]int{"Int8": 8, "Int16": 16, "Int32": 32, "Int64": 64}
	if n, ok := bits[ch]; ok {
		return func(s string) (any, error) {
			v, err := strconv.ParseInt(s, 10, n)
			if err != nil {
				return nil, bad(err, s)
			}
			switch n {
			case 8:
				return int8(v), nil
			case 16:
				return int16(v), nil
			case 32:
				return int32(v), nil
			}
			return v, nil
		}, nil
	}
	if n, ok := bits[strings.TrimPrefix(ch, "U")]; ok {
		return func(s string) (any, error) {
			v, err := strconv.ParseUint(s, 10, n)
			if err != nil {
				return nil, bad(err, s)
			}
			switch n {
			case 8:
				return uint8(v), nil
			case 16:
				return uint16(v), nil
			case 32:
				return uint32(v), nil
			}
			return v, nil
		}, nil
	}
	return nil, fmt.Errorf("%w: integer type %s is not supported", sink.ErrBadRow, ch)
}

func bad(err error, s string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: value %q: %v", sink.ErrBadRow, s, err)
}

// timeRange returns the representable range of a ClickHouse date/time type.
func timeRange(ch string) (time.Time, time.Time) {
	switch {
	case ch == "Date":
		return time.Unix(0, 0).UTC(), time.Date(2149, 6, 6, 0, 0, 0, 0, time.UTC)
	case strings.HasPrefix(ch, "DateTime64"), ch == "Date32":
		return time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2299, 12, 31, 23, 59, 59, 0, time.UTC)
	}
	return time.Unix(0, 0).UTC(), time.Unix(math.MaxUint32, 0).UTC()
}

// parseTime parses event date/time text (UTC) and clamps it into [lo, hi]: zero dates and
// values outside the column type's range become the nearest representable value (documented
// in schemas/clickhouse-types.md; servers with DateTime64 keep 1900-2299).
func parseTime(s string, lo, hi time.Time) (any, error) {
	if strings.HasPrefix(s, "0000-00-00") {
		return lo, nil
	}
	layout := "2006-01-02 15:04:05.999999999"
	if len(s) == len("2006-01-02") {
		layout = "2006-01-02"
	}
	t, err := time.ParseInLocation(layout, s, time.UTC)
	if err != nil {
		return nil, bad(err, s)
	}
	if t.Before(lo) {
		return lo, nil
	}
	if t.After(hi) {
		return hi, nil
	}
	return t, nil
}
