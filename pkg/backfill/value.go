package backfill

import (
	"fmt"
	"strconv"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// encodeValue turns a column value read over MySQL's text protocol (parseTime off, session time
// zone UTC) into the change-event encoding (schemas/change-event.md): BIT as the decimal
// unsigned value, binary strings as ISO-8859-1 runes, floats re-rendered with the shortest exact
// form; everything else (integers, exact decimals at scale, datetimes with exactly fsp digits,
// enum/set members, text, JSON) is already in its event form. nil stays nil (SQL NULL).
func encodeValue(c *Column, raw []byte) (*string, error) {
	if raw == nil {
		return nil, nil
	}
	var s string
	switch {
	case c.Type.Base == "bit":
		var n uint64
		for _, b := range raw {
			n = n<<8 | uint64(b)
		}
		s = strconv.FormatUint(n, 10)
	case c.Type.IsBinary():
		s = event.EncodeBytes(raw)
	case c.Type.IsFloat():
		bits := 64
		if c.Type.Base == "float" {
			bits = 32
		}
		f, err := strconv.ParseFloat(string(raw), bits)
		if err != nil {
			return nil, fmt.Errorf("column %s: float value %q: %w", c.Name, raw, err)
		}
		s = event.FormatFloat(f, bits)
	default:
		s = string(raw)
	}
	return &s, nil
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
