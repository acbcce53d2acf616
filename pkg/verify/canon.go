package verify

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// kind is the canonical form a column is compared in. Both sides of a comparison render a
// column to the same text for the same value, so one hash function (MD5) over the same bytes
// gives the same row hash on MariaDB and ClickHouse.
type kind int

const (
	kindText     kind = iota // text as stored (CHAR, VARCHAR, TEXT, JSON, ENUM, SET, TIME)
	kindInt                  // decimal text of an integer (all INT types, YEAR, BIT)
	kindBit                  // BIT: decimal text of the unsigned value
	kindDecimal              // exact decimal text without trailing fraction zeros ("12.3", "100")
	kindFloat                // shortest text of a DOUBLE (best effort across engines)
	kindFloat32              // FLOAT: shortest text of its value widened to double
	kindDate                 // "2006-01-02"
	kindDateTime             // "2006-01-02 15:04:05" plus fsp fraction digits (UTC for TIMESTAMP)
	kindBinary               // upper-case hex of the bytes
)

// column is one compared column with the canonical form both sides agree on.
type column struct {
	Name string
	Kind kind
	// FSP is the number of fraction digits compared for kindDateTime: the source's precision,
	// lowered to what the copy keeps (0 for a ClickHouse DateTime, which stores seconds).
	FSP int
	// ColFSP is the source column's own fraction digits.
	ColFSP int
	// Scale is a DECIMAL column's number of fraction digits.
	Scale int
	// Convert is set for text columns not in utf8mb4, whose bytes must be converted to UTF-8
	// (as the change events carry them) before hashing.
	Convert bool
}

// sourceKind maps an information_schema DATA_TYPE of the source to a canonical kind.
func sourceKind(dataType string) kind {
	switch strings.ToLower(dataType) {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year":
		return kindInt
	case "bit":
		return kindBit
	case "decimal", "numeric":
		return kindDecimal
	case "float":
		return kindFloat32
	case "double", "real":
		return kindFloat
	case "date":
		return kindDate
	case "datetime", "timestamp":
		return kindDateTime
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob",
		"uuid", "inet6", "inet4": // MariaDB's UUID/INET types: the stream carries their stored bytes
		return kindBinary
	}
	return kindText
}

// chKeepsFSP returns how many fraction digits of a DATETIME/TIMESTAMP a ClickHouse column of type
// chType keeps: DateTime keeps none (ClickHouse 18.16 has no DateTime64), DateTime64(n) keeps n,
// a String keeps the text as the event carried it (all digits).
func chKeepsFSP(chType string, sourceFSP int) int {
	t := chBaseType(chType)
	switch {
	case strings.HasPrefix(t, "DateTime64("):
		var n int
		if _, err := fmt.Sscanf(t, "DateTime64(%d", &n); err == nil && n < sourceFSP {
			return n
		}
		return sourceFSP
	case strings.HasPrefix(t, "DateTime"):
		return 0
	}
	return sourceFSP
}

// chBaseType strips Nullable(...) and LowCardinality(...) wrappers.
func chBaseType(t string) string {
	for _, w := range []string{"Nullable(", "LowCardinality("} {
		if strings.HasPrefix(t, w) && strings.HasSuffix(t, ")") {
			t = t[len(w) : len(t)-1]
		}
	}
	return t
}

// mysqlExpr renders column c of the current row as canonical text in MariaDB/MySQL (NULL stays
// NULL). The session must run with time_zone '+00:00' so TIMESTAMP renders in UTC.
func mysqlExpr(c column) string {
	q := quoteMySQL(c.Name)
	switch c.Kind {
	case kindInt, kindFloat, kindDate:
		return "CAST(" + q + " AS CHAR)"
	case kindFloat32: // CAST(FLOAT AS CHAR) has 6 digits; the widened double is exact
		return "CAST(CAST(" + q + " AS DOUBLE) AS CHAR)"
	case kindDecimal:
		return "REGEXP_REPLACE(CAST(" + q + " AS CHAR), " + trimZeros + ")"
	case kindBit:
		return "CAST(" + q + " + 0 AS CHAR)"
	case kindDateTime:
		// CAST renders exactly the column's fraction digits; cutting the text truncates like
		// the copies do (ClickHouse DateTime drops the fraction).
		if c.FSP >= c.ColFSP {
			return "CAST(" + q + " AS CHAR)"
		}
		return fmt.Sprintf("LEFT(CAST(%s AS CHAR), %d)", q, dateTimeLen(c.FSP))
	case kindBinary:
		return "HEX(" + q + ")"
	}
	if c.Convert {
		return "CONVERT(" + q + " USING utf8mb4)"
	}
	return q
}

func dateTimeLen(fsp int) int {
	if fsp == 0 {
		return 19
	}
	return 20 + fsp
}

// chExpr renders column c as canonical text in ClickHouse; chType is the copy column's type.
func chExpr(c column, chType string) string {
	q := quoteCH(c.Name)
	base := chBaseType(chType)
	switch c.Kind {
	case kindDateTime:
		if strings.HasPrefix(base, "DateTime") {
			if c.FSP == 0 {
				return "toString(" + q + ", 'UTC')"
			}
			return fmt.Sprintf("substring(toString(%s, 'UTC'), 1, %d)", q, dateTimeLen(c.FSP))
		}
		return fmt.Sprintf("substring(toString(%s), 1, %d)", q, dateTimeLen(c.FSP))
	case kindBinary:
		return "hex(" + q + ")"
	case kindDecimal:
		return "replaceRegexpOne(toString(" + q + "), " + trimZeros + ")"
	case kindFloat32:
		return "toString(toFloat64(" + q + "))"
	}
	return "toString(" + q + ")"
}

// trimZeros are the pattern and replacement arguments (the same SQL text on MariaDB and
// ClickHouse) that drop a decimal's trailing fraction zeros and a bare trailing point:
// "12.30" -> "12.3", "5.00" -> "5", "100" stays. MariaDB's CAST keeps the column's scale while
// ClickHouse 21.9+ toString(Decimal) drops trailing zeros (18.16 keeps them): the canonical text
// is the trimmed one on both sides.
const trimZeros = `'(\\.[0-9]*[1-9])0+$|\\.0+$', '\\1'`

// Row text: the canonical values joined by '|', NULL written as 'n'. Text-like values (which may
// contain '|' or be the string "n") are written as "<byte length>:<text>", so no two different
// rows give the same text; the other kinds (digits, dates, hex) can contain neither. Each column
// expression is evaluated once per row.

// mysqlRowHash is a MariaDB expression for the 64-bit row hash: the first 8 bytes (big-endian) of
// MD5 over the canonical row text.
func mysqlRowHash(cols []column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		e := mysqlExpr(c)
		if c.Kind == kindText {
			parts[i] = fmt.Sprintf("IFNULL(CONCAT(LENGTH(%s), ':', %s), 'n')", e, e)
		} else {
			parts[i] = fmt.Sprintf("IFNULL(%s, 'n')", e)
		}
	}
	return "CAST(CONV(LEFT(MD5(CONCAT_WS('|', " + strings.Join(parts, ", ") + ")), 16), 16, 10) AS UNSIGNED)"
}

// chRowHash is the ClickHouse expression equal to mysqlRowHash for the same row.
func chRowHash(cols []column, chTypes map[string]string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		e := chExpr(c, chTypes[c.Name])
		if c.Kind == kindText {
			parts[i] = fmt.Sprintf("ifNull(concat(toString(length(%s)), ':', %s), 'n')", e, e)
		} else {
			parts[i] = fmt.Sprintf("ifNull(%s, 'n')", e)
		}
	}
	return "reinterpretAsUInt64(reverse(substring(MD5(concat(" + strings.Join(parts, ", '|', ") + ")), 1, 8)))"
}

func quoteMySQL(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }
func quoteCH(name string) string    { return "`" + strings.ReplaceAll(name, "`", "\\`") + "`" }

// isFloat reports the float kinds, whose canonical text is not converted back for key lookups.
func (k kind) isFloat() bool { return k == kindFloat || k == kindFloat32 }

// eventValue turns the canonical text v of a key column back into the change-event encoding
// (schemas/change-event.md) that a Repairer expects: binary keys from hex to bytes as ISO-8859-1
// runes, decimals padded to the column's scale, FLOATs from their widened double to the shortest
// single-precision text. Other kinds are already in event form (DOUBLE: shortest text on both).
func (c column) eventValue(v string) (string, error) {
	switch c.Kind {
	case kindBinary:
		b, err := hex.DecodeString(v)
		if err != nil {
			return "", fmt.Errorf("key column %s: hex %q: %w", c.Name, v, err)
		}
		return event.EncodeBytes(b), nil
	case kindFloat32:
		f, err := strconv.ParseFloat(v, 32)
		if err != nil {
			return "", fmt.Errorf("key column %s: float %q: %w", c.Name, v, err)
		}
		return strconv.FormatFloat(f, 'g', -1, 32), nil
	case kindDecimal:
		if c.Scale == 0 {
			return v, nil
		}
		intPart, frac, _ := strings.Cut(v, ".")
		return intPart + "." + frac + strings.Repeat("0", max(0, c.Scale-len(frac))), nil
	}
	return v, nil
}
