package chsink

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// column is the typed buffer of one copy column while a block is built: add converts one
// event value and appends it, reset empties it for reuse. A buffer in the native wire format
// (nativeCol, a clickhouse.NativeColumn) is sent as it is; the others are driverColumns.
type column interface {
	add(v *string) error
	reset()
}

// driverColumn is a column whose data, a typed slice, is handed to clickhouse-go's columnar
// batch.Column(i).Append (no per-value boxing or reflection).
type driverColumn interface {
	column
	data() any
}

// newColumn makes an empty buffer of one column of a plan.
type newColumn func() column

// valCol buffers a non-nullable column of Go type T; SQL NULL is a bad row.
type valCol[T any] struct {
	chType string
	parse  func(string) (T, error)
	vals   []T
}

func (c *valCol[T]) add(v *string) error {
	if v == nil {
		return fmt.Errorf("%w: NULL for non-nullable %s column", sink.ErrBadRow, c.chType)
	}
	x, err := c.parse(*v)
	if err != nil {
		return err
	}
	c.vals = append(c.vals, x)
	return nil
}

func (c *valCol[T]) data() any { return c.vals }
func (c *valCol[T]) reset()    { c.vals = c.vals[:0] }

// nullCol buffers a Nullable column as []*T. The pointers point into vals, one slab per
// block instead of one allocation per value; when vals grows the older pointers keep the old
// array alive, whose values never change.
type nullCol[T any] struct {
	parse func(string) (T, error)
	vals  []T
	ptrs  []*T
}

func (c *nullCol[T]) add(v *string) error {
	if v == nil {
		c.ptrs = append(c.ptrs, nil)
		return nil
	}
	x, err := c.parse(*v)
	if err != nil {
		return err
	}
	c.vals = append(c.vals, x)
	c.ptrs = append(c.ptrs, &c.vals[len(c.vals)-1])
	return nil
}

func (c *nullCol[T]) data() any { return c.ptrs }

func (c *nullCol[T]) reset() {
	clear(c.ptrs) // drop references into old slabs and rows
	c.vals, c.ptrs = c.vals[:0], c.ptrs[:0]
}

// textCol buffers a Nullable text column as the event's own []*string (no copy); check, if
// set, validates each value.
type textCol struct {
	check func(string) error
	ptrs  []*string
}

func (c *textCol) add(v *string) error {
	if v != nil && c.check != nil {
		if err := c.check(*v); err != nil {
			return err
		}
	}
	c.ptrs = append(c.ptrs, v)
	return nil
}

func (c *textCol) data() any { return c.ptrs }

func (c *textCol) reset() {
	clear(c.ptrs)
	c.ptrs = c.ptrs[:0]
}

// columnFor returns the buffer maker of a copy column of ClickHouse type chType whose event
// values have the MySQL type of source column c. Nullable columns take nil for SQL NULL; key columns never
// get NULL (the event format guarantees non-null key values).
func columnFor(chType string, c sink.Column) (newColumn, error) {
	inner, nullable := strings.CutPrefix(chType, "Nullable(")
	if nullable {
		inner = strings.TrimSuffix(inner, ")")
	}
	mt, err := c.Parsed()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", sink.ErrBadRow, err)
	}
	if mk, err := nativeColumnFor(chType, inner, nullable, sink.IsBytes(mt)); mk != nil || err != nil {
		return mk, err
	}
	return driverColumnFor(chType, inner, nullable, sink.IsBytes(mt))
}

// driverColumnFor returns the maker of a column that clickhouse-go's own column buffers take
// (batch.Column(i).Append): every type the copy supports. The sink uses it for the types
// nativeColumnFor leaves to it; the tests hold the native columns to it for the others.
func driverColumnFor(chType, inner string, nullable, bytes bool) (newColumn, error) {
	switch {
	case strings.HasPrefix(inner, "Int") || strings.HasPrefix(inner, "UInt"):
		return intColumn(chType, inner, nullable)
	case inner == "Float32":
		return typed(chType, nullable, parseFloat32), nil
	case inner == "Float64":
		return typed(chType, nullable, parseFloat64), nil
	case strings.HasPrefix(inner, "Decimal"):
		// clickhouse-go parses the exact text; checking it here names the row of a bad value.
		check, err := decimalCheck(inner)
		if err != nil {
			return nil, err
		}
		return text(chType, nullable, check), nil
	case inner == "Date", inner == "Date32", strings.HasPrefix(inner, "DateTime"):
		return typed(chType, nullable, timeParser(inner)), nil
	case inner == "String" && bytes:
		return typed(chType, nullable, decodeBytes), nil
	case strings.HasPrefix(inner, "FixedString("):
		var n int
		if _, err := fmt.Sscanf(inner, "FixedString(%d)", &n); err != nil {
			return nil, fmt.Errorf("%w: copy column type %s: %v", sink.ErrBadRow, inner, err)
		}
		return text(chType, nullable, func(s string) error {
			if len(s) > n {
				return fmt.Errorf("%w: value of %d bytes does not fit %s", sink.ErrBadRow, len(s), inner)
			}
			return nil
		}), nil
	case inner == "String", strings.HasPrefix(inner, "LowCardinality(String"):
		return text(chType, nullable, nil), nil
	}
	return nil, fmt.Errorf("%w: copy column type %s is not supported; change it to one from schemas/clickhouse-types.md", sink.ErrBadRow, inner)
}

// typed returns the maker of a column of Go type T parsed from event text.
func typed[T any](chType string, nullable bool, parse func(string) (T, error)) newColumn {
	if nullable {
		return func() column { return &nullCol[T]{parse: parse} }
	}
	return func() column { return &valCol[T]{chType: chType, parse: parse} }
}

// text returns the maker of a column whose Go values are the event text itself.
func text(chType string, nullable bool, check func(string) error) newColumn {
	if nullable {
		return func() column { return &textCol{check: check} }
	}
	parse := func(s string) (string, error) { return s, nil }
	if check != nil {
		parse = func(s string) (string, error) { return s, check(s) }
	}
	return func() column { return &valCol[string]{chType: chType, parse: parse} }
}

func intColumn(chType, inner string, nullable bool) (newColumn, error) {
	switch inner {
	case "Int8":
		return typed(chType, nullable, parseInt[int8](8)), nil
	case "Int16":
		return typed(chType, nullable, parseInt[int16](16)), nil
	case "Int32":
		return typed(chType, nullable, parseInt[int32](32)), nil
	case "Int64":
		return typed(chType, nullable, parseInt[int64](64)), nil
	case "UInt8":
		return typed(chType, nullable, parseUint[uint8](8)), nil
	case "UInt16":
		return typed(chType, nullable, parseUint[uint16](16)), nil
	case "UInt32":
		return typed(chType, nullable, parseUint[uint32](32)), nil
	case "UInt64":
		return typed(chType, nullable, parseUint[uint64](64)), nil
	}
	return nil, fmt.Errorf("%w: integer type %s is not supported", sink.ErrBadRow, inner)
}

func parseInt[T int8 | int16 | int32 | int64](bits int) func(string) (T, error) {
	return func(s string) (T, error) {
		v, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return 0, bad(err, s)
		}
		return T(v), nil
	}
}

func parseUint[T uint8 | uint16 | uint32 | uint64](bits int) func(string) (T, error) {
	return func(s string) (T, error) {
		v, err := strconv.ParseUint(s, 10, bits)
		if err != nil {
			return 0, bad(err, s)
		}
		return T(v), nil
	}
}

func parseFloat32(s string) (float32, error) {
	f, err := strconv.ParseFloat(s, 32)
	return float32(f), bad(err, s)
}

func parseFloat64(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	return f, bad(err, s)
}

func decodeBytes(s string) (string, error) {
	b, err := event.DecodeBytes(s)
	if err != nil {
		return "", fmt.Errorf("%w: %v", sink.ErrBadRow, err)
	}
	return string(b), nil
}
