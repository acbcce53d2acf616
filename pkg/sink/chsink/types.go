package chsink

import (
	"fmt"
	"math"
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
	return chTypeOf(ct, f)
}

// chTypeOf is CHType of a parsed type.
func chTypeOf(ct event.ColumnType, f Features) (string, error) {
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

// timeParser returns the parse of event date/time text for the copy type inner (Date, Date32,
// DateTime*): parseTime with the type's range.
func timeParser(inner string) func(string) (time.Time, error) {
	lo, hi := timeRange(inner)
	return func(s string) (time.Time, error) { return parseTime(s, lo, hi) }
}

// unixParser returns the parse of event date/time text for the native Date and DateTime
// columns, which hold Unix time as an integer: parseUnix with the type's range, fractions
// dropped (as clickhouse-go drops them).
func unixParser(inner string) func(string) (int64, error) {
	lo, hi := timeRange(inner)
	loS, hiS := lo.Unix(), hi.Unix()
	return func(s string) (int64, error) {
		secs, _, err := parseUnix(s, loS, hiS)
		return secs, err
	}
}

// parseTime is parseUnix as a time.Time (UTC) for a range [lo, hi] of whole seconds.
func parseTime(s string, lo, hi time.Time) (time.Time, error) {
	secs, ns, err := parseUnix(s, lo.Unix(), hi.Unix())
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(secs, int64(ns)).UTC(), nil
}

// parseUnix parses event date/time text (UTC) into Unix seconds and nanoseconds, clamped into
// [lo, hi] (Unix seconds): zero dates and values outside the column type's range become the
// nearest representable value (documented in schemas/clickhouse-types.md; servers with
// DateTime64 keep 1900-2299). A partial date with a zero month or day ('2020-05-00', which
// MariaDB's default sql_mode accepts) has no calendar value: its zero parts become 01, the
// nearest representable date.
func parseUnix(s string, lo, hi int64) (secs int64, ns int, err error) {
	if strings.HasPrefix(s, "0000-00-00") {
		return lo, 0, nil
	}
	s = fillZeroDateParts(s)
	secs, ns, ok := fastUnix(s)
	if !ok {
		layout := "2006-01-02 15:04:05.999999999"
		if len(s) == len("2006-01-02") {
			layout = "2006-01-02"
		}
		t, err := time.ParseInLocation(layout, s, time.UTC)
		if err != nil {
			return 0, 0, bad(err, s)
		}
		secs, ns = t.Unix(), t.Nanosecond()
	}
	switch {
	case secs < lo:
		return lo, 0, nil
	case secs > hi || secs == hi && ns > 0:
		return hi, 0, nil
	}
	return secs, ns, nil
}

// fillZeroDateParts returns date/time text s with a zero month or day replaced by 01
// ('2020-00-00 10:00:00' -> '2020-01-01 10:00:00'); other text is returned unchanged. The zero
// date '0000-00-00' is changed too: callers that map it elsewhere check it first.
func fillZeroDateParts(s string) string {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' || (s[5:7] != "00" && s[8:10] != "00") {
		return s
	}
	b := []byte(s)
	if s[5:7] == "00" {
		b[6] = '1'
	}
	if s[8:10] == "00" {
		b[9] = '1'
	}
	return string(b)
}
