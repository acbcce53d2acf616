package backfill

import (
	"fmt"
	"strconv"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// valueKind is how appendKind turns a column's text into its event form, decided once per
// column (the type tests compare strings; per value they were a third of the encoding's time).
type valueKind uint8

const (
	kindAsIs    valueKind = iota // already in event form
	kindInteger                  // integers and YEAR: ZEROFILL padding removed
	kindBit                      // big-endian bytes: decimal unsigned value
	kindBinary                   // bytes: ISO-8859-1 runes
	kindFloat32                  // shortest text of the single-precision value
	kindFloat64                  // shortest text of the double
)

// kindOf returns the valueKind of a column type.
func kindOf(t event.ColumnType) valueKind {
	switch {
	case t.IsInteger() || t.Base == "year":
		return kindInteger
	case t.Base == "bit":
		return kindBit
	case t.IsBinary():
		return kindBinary
	case t.Base == "float":
		return kindFloat32
	case t.IsFloat():
		return kindFloat64
	}
	return kindAsIs
}

// appendKind appends the change-event encoding of a non-NULL value of column c, of kind k
// (kindOf), read over MySQL's text protocol (schemas/change-event.md): integers and YEAR
// without ZEROFILL padding, BIT as the decimal unsigned value, binary strings as ISO-8859-1
// runes, floats re-rendered with the shortest exact form; everything else (exact decimals at
// scale, datetimes with exactly fsp digits, enum/set members, text, JSON) is already in its
// event form.
func appendKind(dst []byte, k valueKind, c *Column, raw []byte) ([]byte, error) {
	switch k {
	case kindInteger:
		return append(dst, unpadded(raw)...), nil
	case kindBit:
		var n uint64
		for _, b := range raw {
			n = n<<8 | uint64(b)
		}
		return strconv.AppendUint(dst, n, 10), nil
	case kindBinary:
		return event.AppendEncodedBytes(dst, raw), nil
	case kindFloat32, kindFloat64:
		bits := 64
		if k == kindFloat32 {
			bits = 32
		}
		f, err := strconv.ParseFloat(string(raw), bits)
		if err != nil {
			return nil, fmt.Errorf("column %s: float value %q: %w", c.Name, raw, err)
		}
		return event.AppendFloat(dst, f, bits), nil
	}
	return append(dst, raw...), nil
}

// unpadded returns an integer's text without the leading zeros of a ZEROFILL column ("0" stays).
func unpadded(raw []byte) []byte {
	for len(raw) > 1 && raw[0] == '0' {
		raw = raw[1:]
	}
	return raw
}

// rowEncoder encodes the rows of one read with few allocations: the text of a row's values is
// one string (each value a substring of it), and the value strings and row slices are cut
// from blocks shared by many rows. A row's values thus stay in memory while any of them is
// referenced; a chunk's rows are published and dropped together.
type rowEncoder struct {
	cols  []Column
	kinds []valueKind // of cols
	buf   []byte
	ends  []int // end of each value in buf, -1 for NULL
	vals  []string
	ptrs  []*string
}

// newRowEncoder returns an encoder of rows of cols.
func newRowEncoder(cols []Column) *rowEncoder {
	e := &rowEncoder{cols: cols, kinds: make([]valueKind, len(cols))}
	for i := range cols {
		e.kinds[i] = kindOf(cols[i].Type)
	}
	return e
}

// encode returns the change-event values of one row as the server sent it (one value per
// column of e.cols, its text or nil for NULL; source.EachTextRow).
func (e *rowEncoder) encode(vals [][]byte) ([]*string, error) {
	e.buf, e.ends = e.buf[:0], e.ends[:0]
	for i, v := range vals {
		if v == nil {
			e.ends = append(e.ends, -1)
			continue
		}
		var err error
		if e.buf, err = appendKind(e.buf, e.kinds[i], &e.cols[i], v); err != nil {
			return nil, err
		}
		e.ends = append(e.ends, len(e.buf))
	}
	text := string(e.buf)
	row := e.block(len(vals))
	start := 0
	for i, end := range e.ends {
		if end < 0 {
			continue
		}
		if len(e.vals) == cap(e.vals) {
			e.vals = make([]string, 0, 64*len(vals))
		}
		e.vals = append(e.vals, text[start:end])
		row[i], start = &e.vals[len(e.vals)-1], end
	}
	return row, nil
}

// block returns a zeroed row slice of n values cut from a shared block.
func (e *rowEncoder) block(n int) []*string {
	if cap(e.ptrs)-len(e.ptrs) < n {
		e.ptrs = make([]*string, 0, 64*n)
	}
	row := e.ptrs[len(e.ptrs) : len(e.ptrs)+n : len(e.ptrs)+n]
	e.ptrs = e.ptrs[:len(e.ptrs)+n]
	return row
}

// keyArg turns an encoded primary key value back into a query argument of the column's type.
func keyArg(c *Column, v string) (any, error) {
	switch {
	case c.Type.IsBinary():
		return event.DecodeBytes(v)
	case c.Type.Base == "bit":
		return strconv.ParseUint(v, 10, 64)
	}
	return v, nil
}
