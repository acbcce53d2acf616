package canal

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// format turns one non-NULL go-mysql decoded value into its change-event text
// (schemas/change-event.md). go-mysql is configured with UseDecimal=false (DECIMAL arrives as
// exact text), ParseTime=false (DATETIME/TIMESTAMP arrive as text with exactly FSP digits, or
// as raw bytes from rawDecoder, as are DECIMALs of up to 8 bytes and unsigned integers, read as
// signed: rawdecode.go) and TimestampStringLocation=UTC.
func (c *column) format(v any) (string, error) {
	switch c.kind {
	case kindText, kindLatin1, kindBinary:
		return c.formatBytes(v)
	case kindEnum:
		return c.formatEnum(v)
	case kindSet:
		return c.formatSet(v)
	case kindTime:
		return padFraction(fmt.Sprint(v), c.fsp), nil
	case kindYear:
		if y, ok := v.(int); ok && y == 0 {
			return "0000", nil
		}
	case kindDatetime2, kindTimestamp2:
		if raw, ok := v.(int64); ok { // rawTemporalDecoder's; a string is go-mysql's own text
			return c.temporalText(uint64(raw)), nil
		}
	case kindDecimal:
		if raw, ok := v.(int64); ok { // rawDecoder's; a string is go-mysql's own text
			return decimalText(uint64(raw), c.meta)
		}
	case kindUnsigned:
		if u, ok := c.unsigned(v); ok {
			return strconv.FormatUint(u, 10), nil
		}
	case kindBit:
		if b, ok := v.(int64); ok {
			return strconv.FormatUint(uint64(b), 10), nil
		}
	}
	return formatPlain(v)
}

// unsigned reads a signed integer that rawDecoder decoded from an unsigned column of c.meta bits
// as the unsigned integer of those bits; ok is false for any other value (go-mysql's own unsigned
// Go types among them, which formatPlain writes as they are).
func (c *column) unsigned(v any) (u uint64, ok bool) {
	switch x := v.(type) {
	case int8:
		return uint64(uint8(x)), true
	case int16:
		return uint64(uint16(x)), true
	case int32:
		return uint64(uint32(x)) & (1<<c.meta - 1), true // MEDIUMINT: 24 bits, sign-extended
	case int64:
		return uint64(x), true
	}
	return 0, false
}

// temporalText formats the raw bytes of a DATETIME2 or TIMESTAMP2 value (temporal.go).
func (c *column) temporalText(raw uint64) string {
	if c.kind == kindDatetime2 {
		return datetime2Text(raw, c.fsp)
	}
	return timestamp2Text(raw, c.fsp)
}

func formatPlain(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int8:
		return strconv.FormatInt(int64(x), 10), nil
	case int16:
		return strconv.FormatInt(int64(x), 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int:
		return strconv.Itoa(x), nil
	case uint8:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float32:
		return event.FormatFloat(float64(x), 32), nil
	case float64:
		return event.FormatFloat(x, 64), nil
	}
	return "", fmt.Errorf("unexpected decoded value of Go type %T", v)
}

func (c *column) formatBytes(v any) (string, error) {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return "", fmt.Errorf("unexpected decoded value of Go type %T", v)
	}
	out, err := c.appendBytes(nil, b)
	return string(out), err
}

// appendBytes appends the text of a string or binary value v of a kindText, kindLatin1 or
// kindBinary column.
func (c *column) appendBytes(dst, v []byte) ([]byte, error) {
	switch c.kind {
	case kindBinary:
		dst = event.AppendEncodedBytes(dst, v)
		for range c.padTo - len(v) { // BINARY(n): the binlog drops trailing 0x00 bytes
			dst = append(dst, 0)
		}
	case kindLatin1: // MariaDB's latin1 is cp1252 (latin1.go), as the source returns it
		dst = appendLatin1(dst, v)
	case kindText:
		if !utf8.Valid(v) {
			return nil, errNotUTF8
		}
		dst = append(dst, v...)
	default:
		return nil, fmt.Errorf("string value for a column of kind %d", c.kind) // describe gives strings no other kind
	}
	return dst, nil
}

// errNotUTF8 is the error for text that is not UTF-8.
var errNotUTF8 = errors.New("text is not valid UTF-8; set the column's charset to utf8mb4 or exclude the column")

func (c *column) formatEnum(v any) (string, error) {
	idx, ok := v.(int64)
	if !ok {
		return "", fmt.Errorf("unexpected enum value of Go type %T", v)
	}
	return c.enumText(idx)
}

// enumText returns the member of index idx.
func (c *column) enumText(idx int64) (string, error) {
	if idx == 0 {
		return "", nil // the "invalid value" index MySQL stores for '' in non-strict mode
	}
	if idx < 0 || int(idx) > len(c.members) {
		return "", fmt.Errorf("enum index %d outside the %d members", idx, len(c.members))
	}
	return c.members[idx-1], nil
}

func (c *column) formatSet(v any) (string, error) {
	bits, ok := v.(int64)
	if !ok {
		return "", fmt.Errorf("unexpected set value of Go type %T", v)
	}
	out, err := c.appendSet(nil, uint64(bits))
	return string(out), err
}

// appendSet appends the members of a SET bitmask, comma-separated.
func (c *column) appendSet(dst []byte, bits uint64) ([]byte, error) {
	if len(c.members) < 64 && bits>>uint(len(c.members)) != 0 {
		return nil, fmt.Errorf("set bits %#x outside the %d members", bits, len(c.members))
	}
	first := true
	for i, m := range c.members {
		if bits&(1<<uint(i)) != 0 {
			if !first {
				dst = append(dst, ',')
			}
			dst, first = append(dst, m...), false
		}
	}
	return dst, nil
}

// padFraction makes a TIME value carry exactly fsp fraction digits; go-mysql omits a zero fraction.
func padFraction(s string, fsp int) string {
	if fsp == 0 || strings.IndexByte(s, '.') >= 0 {
		return s
	}
	return s + "." + strings.Repeat("0", fsp)
}
