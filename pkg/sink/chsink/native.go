package chsink

import (
	"fmt"
	"strings"

	"github.com/ClickHouse/ch-go/proto"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// nativeCol buffers one column directly in ClickHouse's native wire format (ch-go's proto
// columns), owned by the plan's block and reused by every insert: clickhouse-go sends it as
// is (clickhouse.NativeColumnSetter, the patch in third_party/clickhouse-go) instead of
// copying the values into column buffers of its own that it rebuilds for each insert. A NULL
// is a 1 in the null map and the zero value in vals, as clickhouse-go encodes it.
type nativeCol[T any] struct {
	chType   string
	nullable bool
	parse    func(string) (T, error)
	nulls    proto.ColUInt8 // only for a Nullable column
	vals     proto.ColumnOf[T]
}

func (c *nativeCol[T]) add(v *string) error {
	if v == nil {
		if !c.nullable {
			return fmt.Errorf("%w: NULL for non-nullable %s column", sink.ErrBadRow, c.chType)
		}
		var zero T
		c.nulls.Append(1)
		c.vals.Append(zero)
		return nil
	}
	x, err := c.parse(*v)
	if err != nil {
		return err
	}
	if c.nullable {
		c.nulls.Append(0)
	}
	c.vals.Append(x)
	return nil
}

func (c *nativeCol[T]) reset() {
	c.nulls.Reset()
	c.vals.Reset()
}

// Rows implements clickhouse.NativeColumn.
func (c *nativeCol[T]) Rows() int { return c.vals.Rows() }

// EncodeColumn implements clickhouse.NativeColumn: the null map of a Nullable column, then
// the values.
func (c *nativeCol[T]) EncodeColumn(b *proto.Buffer) {
	if c.nullable {
		c.nulls.EncodeColumn(b)
	}
	c.vals.EncodeColumn(b)
}

// native returns the maker of a native column of Go type T parsed from event text into the
// wire column that vals makes.
func native[T any](chType string, nullable bool, parse func(string) (T, error), vals func() proto.ColumnOf[T]) newColumn {
	return func() column {
		return &nativeCol[T]{chType: chType, nullable: nullable, parse: parse, vals: vals()}
	}
}

// nativeColumnFor returns the maker of a native column for the copy type inner (without
// Nullable), or nil when the type keeps clickhouse-go's own column (FixedString,
// LowCardinality, Date32, DateTime64, Decimal wider than 18 digits).
func nativeColumnFor(chType, inner string, nullable, bytes bool) (newColumn, error) {
	switch {
	case strings.HasPrefix(inner, "Int") || strings.HasPrefix(inner, "UInt"):
		return nativeInt(chType, inner, nullable), nil
	case inner == "Float32":
		return native(chType, nullable, parseFloat32, func() proto.ColumnOf[float32] { return new(proto.ColFloat32) }), nil
	case inner == "Float64":
		return native(chType, nullable, parseFloat64, func() proto.ColumnOf[float64] { return new(proto.ColFloat64) }), nil
	case strings.HasPrefix(inner, "Decimal"):
		return nativeDecimal(chType, inner, nullable)
	case inner == "Date": // days since 1970-01-01 as UInt16 on the wire
		return unixColumn(chType, inner, nullable, 86400, func() proto.ColumnOf[uint16] { return new(proto.ColUInt16) }), nil
	case inner == "DateTime", strings.HasPrefix(inner, "DateTime("): // Unix seconds as UInt32
		return unixColumn(chType, inner, nullable, 1, func() proto.ColumnOf[uint32] { return new(proto.ColUInt32) }), nil
	case inner == "String" && bytes:
		return native(chType, nullable, decodeBytes, newColStr), nil
	case inner == "String":
		return native(chType, nullable, func(s string) (string, error) { return s, nil }, newColStr), nil
	}
	return nil, nil
}

func newColStr() proto.ColumnOf[string] { return new(proto.ColStr) }

func nativeInt(chType, inner string, nullable bool) newColumn {
	switch inner {
	case "Int8":
		return native(chType, nullable, parseInt[int8](8), func() proto.ColumnOf[int8] { return new(proto.ColInt8) })
	case "Int16":
		return native(chType, nullable, parseInt[int16](16), func() proto.ColumnOf[int16] { return new(proto.ColInt16) })
	case "Int32":
		return native(chType, nullable, parseInt[int32](32), func() proto.ColumnOf[int32] { return new(proto.ColInt32) })
	case "Int64":
		return native(chType, nullable, parseInt[int64](64), func() proto.ColumnOf[int64] { return new(proto.ColInt64) })
	case "UInt8":
		return native(chType, nullable, parseUint[uint8](8), func() proto.ColumnOf[uint8] { return new(proto.ColUInt8) })
	case "UInt16":
		return native(chType, nullable, parseUint[uint16](16), func() proto.ColumnOf[uint16] { return new(proto.ColUInt16) })
	case "UInt32":
		return native(chType, nullable, parseUint[uint32](32), func() proto.ColumnOf[uint32] { return new(proto.ColUInt32) })
	case "UInt64":
		return native(chType, nullable, parseUint[uint64](64), func() proto.ColumnOf[uint64] { return new(proto.ColUInt64) })
	}
	return nil // Int128 and wider keep clickhouse-go's column (the caller reports unsupported ones)
}

// nativeDecimal returns the maker of a Decimal(P, S) column with P <= 18 (Decimal32 and
// Decimal64 on the wire), or nil for wider ones.
func nativeDecimal(chType, inner string, nullable bool) (newColumn, error) {
	p, sc, err := decimalType(inner)
	if err != nil {
		return nil, err
	}
	switch bits, safe := decimalStorage(p); bits {
	case 32:
		return decimalColumn(chType, nullable, decimalParser(inner, sc, bits, safe),
			func() proto.ColumnOf[proto.Decimal32] { return new(proto.ColDecimal32) }), nil
	case 64:
		return decimalColumn(chType, nullable, decimalParser(inner, sc, bits, safe),
			func() proto.ColumnOf[proto.Decimal64] { return new(proto.ColDecimal64) }), nil
	}
	return nil, nil
}

// decimalColumn returns the maker of a native decimal column whose wire integer is D.
func decimalColumn[D proto.Decimal32 | proto.Decimal64](chType string, nullable bool, parse func(string) (int64, error),
	vals func() proto.ColumnOf[D]) newColumn {
	return native(chType, nullable, func(s string) (D, error) {
		v, err := parse(s)
		return D(v), err
	}, vals)
}

// unixColumn returns the maker of a native Date or DateTime column: the Unix seconds of
// unixParser divided by unit (86400 for days, 1 for seconds) as the wire integer U.
func unixColumn[U uint16 | uint32](chType, inner string, nullable bool, unit int64, vals func() proto.ColumnOf[U]) newColumn {
	unix := unixParser(inner)
	return native(chType, nullable, func(s string) (U, error) {
		secs, err := unix(s)
		return U(secs / unit), err
	}, vals)
}

// decimalType parses "Decimal(P, S)".
func decimalType(ch string) (p, sc int, err error) {
	if _, err := fmt.Sscanf(ch, "Decimal(%d, %d)", &p, &sc); err != nil || p < 1 || sc < 0 || sc > p {
		return 0, 0, fmt.Errorf("%w: copy column type %s is not a Decimal(P, S)", sink.ErrBadRow, ch)
	}
	return p, sc, nil
}

// decimalParser returns the parse of event text into the scaled integer of a decimal of
// scale sc stored in bits (32 or 64), whose safe digits always fit. Plain "[-]digits[.digits]"
// text with at most sc fraction digits that fits without doubt is scaled directly; anything
// else takes clickhouse-go's own rule (scaleDecimal), so both paths give the same value or the
// same refusal.
func decimalParser(ch string, sc, bits, safe int) func(string) (int64, error) {
	return func(s string) (int64, error) {
		if v, ok := scalePlain(s, sc, safe); ok {
			return v, nil
		}
		v, err := scaleDecimal(s, ch, sc, bits)
		if err != nil {
			return 0, err
		}
		return v.Int64(), nil
	}
}

// scalePlain scales "[-]digits[.digits]" by 10^sc when it has at most sc fraction digits and
// at most safe significant digits after scaling; ok is false for anything else.
func scalePlain(s string, sc, safe int) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var v int64
	sig, frac, seen, dot := 0, 0, false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && !dot && seen:
			dot = true
		case c >= '0' && c <= '9':
			if dot {
				frac++
			}
			if sig > 0 || c != '0' {
				sig++
			}
			v = v*10 + int64(c-'0')
			seen = true
		default:
			return 0, false
		}
	}
	if !seen || s[len(s)-1] == '.' || frac > sc || sig+sc-frac > safe {
		return 0, false
	}
	for range sc - frac {
		v *= 10
	}
	if neg {
		v = -v
	}
	return v, true
}
