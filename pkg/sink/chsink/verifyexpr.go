package chsink

import (
	"fmt"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/source"
)

// keepsFSP returns how many fraction digits of a DATETIME/TIMESTAMP a ClickHouse column of type
// chType keeps: DateTime keeps none (ClickHouse 18.16 has no DateTime64), DateTime64(n) keeps n,
// a String keeps the text as the event carried it (all digits).
func keepsFSP(chType string, sourceFSP int) int {
	t := baseType(chType)
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

// baseType strips Nullable(...) and LowCardinality(...) wrappers.
func baseType(t string) string {
	for _, w := range []string{"Nullable(", "LowCardinality("} {
		if strings.HasPrefix(t, w) && strings.HasSuffix(t, ")") {
			t = t[len(w) : len(t)-1]
		}
	}
	return t
}

// canonExpr renders column c as canonical text in ClickHouse, equal to source.Expr of the same
// value on the source; chType is the copy column's type.
func canonExpr(c source.Column, chType string) string {
	q := Quote(c.Name)
	base := baseType(chType)
	switch c.Kind {
	case source.KindDateTime:
		if strings.HasPrefix(base, "DateTime") {
			if c.FSP == 0 {
				return "toString(" + q + ", 'UTC')"
			}
			return fmt.Sprintf("substring(toString(%s, 'UTC'), 1, %d)", q, source.DateTimeLen(c.FSP))
		}
		return fmt.Sprintf("substring(toString(%s), 1, %d)", q, source.DateTimeLen(c.FSP))
	case source.KindBinary:
		return "hex(" + q + ")"
	case source.KindDecimal:
		return "replaceRegexpOne(toString(" + q + "), " + source.TrimZeros + ")"
	case source.KindFloat32:
		return "toString(toFloat64(" + q + "))"
	}
	return "toString(" + q + ")"
}

// rowHash is the ClickHouse expression equal to source.RowHash for the same row (see there
// for the row text).
func rowHash(cols []source.Column, chTypes map[string]string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		e := canonExpr(c, chTypes[c.Name])
		if c.Kind == source.KindText {
			parts[i] = fmt.Sprintf("ifNull(concat(toString(length(%s)), ':', %s), 'n')", e, e)
		} else {
			parts[i] = fmt.Sprintf("ifNull(%s, 'n')", e)
		}
	}
	return "reinterpretAsUInt64(reverse(substring(MD5(concat(" + strings.Join(parts, ", '|', ") + ")), 1, 8)))"
}

// literal renders v as a ClickHouse literal for a column of type chType: numbers unquoted
// (validated), everything else as an escaped string literal (ClickHouse converts it).
func literal(chType, v string) string {
	base := baseType(chType)
	if (strings.HasPrefix(base, "Int") || strings.HasPrefix(base, "UInt") || strings.HasPrefix(base, "Float") ||
		strings.HasPrefix(base, "Decimal")) && source.NumericLiteral.MatchString(v) {
		return v
	}
	return QuoteString(v)
}
