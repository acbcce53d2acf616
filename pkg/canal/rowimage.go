package canal

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// The tailer reads the row images of most rows events itself, straight from the binlog bytes
// into event text: go-mysql's decode builds a []any per row and a boxed value or string per
// column, which column.format then turns into text (with the GC work, 41% of the tailer's
// catch-up CPU). rowImages writes every value's text into one buffer per event and cuts the
// values from it. The text is exactly what go-mysql's decode followed by column.format gives
// (FuzzRowImages compares the two on random tables and row bytes).
//
// A table whose row image holds a column type listed in imagePlan's default case (JSON, TIME,
// the pre-5.6 temporal types, DECIMALs wider than 8 bytes, malformed metadata), and the rows
// events the reader does not parse (MariaDB's compressed events, MySQL's partial JSON updates),
// go through go-mysql as before (rawDecoder).

// errImageEnd means a row image ends inside a value: the event does not match its table map.
var errImageEnd = fmt.Errorf("%w: row image ends inside a value", ErrSchemaMismatch)

// binCol is how one column of a table's binlog row image is read.
type binCol struct {
	typ   byte // binlog type; a MYSQL_TYPE_STRING column's real type (STRING, ENUM, SET)
	width int  // stored width in bytes, or the length prefix's width for variable-length types
	out   int  // index among the published columns, -1 for an excluded column
}

// imagePlan returns how to read tm's row images into ti's columns, or nil when a column needs
// go-mysql's decoding.
func imagePlan(tm *replication.TableMapEvent, ti *tableInfo) []binCol {
	plan := make([]binCol, len(tm.ColumnType))
	for i := range plan {
		plan[i] = binCol{out: -1}
	}
	for k, c := range ti.columns {
		plan[c.index].out = k
	}
	for i, typ := range tm.ColumnType {
		bc := &plan[i]
		bc.typ, bc.width = typ, fixedWidth(typ, tm.ColumnMeta[i])
		if typ == mysql.MYSQL_TYPE_STRING {
			bc.typ, bc.width = stringType(tm.ColumnMeta[i])
		}
		if bc.width == 0 {
			return nil
		}
	}
	return plan
}

// fixedWidth returns the stored width of a column of type typ with metadata meta (for a
// variable-length type the width of its length prefix), or 0 when go-mysql reads it.
func fixedWidth(typ byte, meta uint16) int {
	switch typ {
	case mysql.MYSQL_TYPE_TINY, mysql.MYSQL_TYPE_YEAR:
		return 1
	case mysql.MYSQL_TYPE_SHORT:
		return 2
	case mysql.MYSQL_TYPE_INT24, mysql.MYSQL_TYPE_DATE:
		return 3
	case mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_FLOAT:
		return 4
	case mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_DOUBLE:
		return 8
	case mysql.MYSQL_TYPE_NEWDECIMAL, mysql.MYSQL_TYPE_DATETIME2, mysql.MYSQL_TYPE_TIMESTAMP2:
		return rawBytes(typ, meta)
	case mysql.MYSQL_TYPE_BIT:
		if nbits := int(meta>>8)*8 + int(meta&0xFF); nbits > 0 && nbits <= 64 {
			return (nbits + 7) / 8
		}
	case mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_VAR_STRING:
		if meta < 256 {
			return 1
		}
		return 2
	case mysql.MYSQL_TYPE_BLOB, mysql.MYSQL_TYPE_GEOMETRY, mysql.MYSQL_TYPE_VECTOR:
		if meta >= 1 && meta <= 4 {
			return int(meta)
		}
	}
	return 0
}

// stringType resolves a MYSQL_TYPE_STRING column's metadata as go-mysql does: its real type and
// width (ENUM: 1 or 2 bytes; SET: 1 to 8 bytes; CHAR/BINARY: the length prefix, 1 byte below
// 256 bytes of length), width 0 for metadata go-mysql would reject.
func stringType(meta uint16) (typ byte, width int) {
	typ, length := byte(mysql.MYSQL_TYPE_STRING), int(meta)
	if meta >= 256 {
		b0, b1 := byte(meta>>8), byte(meta)
		typ, length = b0, int(b1)
		if b0&0x30 != 0x30 {
			typ, length = b0|0x30, int(uint16(b1)|uint16((b0&0x30)^0x30)<<4)
		}
	}
	switch typ {
	case mysql.MYSQL_TYPE_ENUM:
		if w := int(meta & 0xFF); w == 1 || w == 2 {
			return typ, w
		}
	case mysql.MYSQL_TYPE_SET:
		if w := int(meta & 0xFF); w >= 1 && w <= 8 {
			return typ, w
		}
	case mysql.MYSQL_TYPE_STRING:
		if length < 256 {
			return typ, 1
		}
		return typ, 2
	}
	return typ, 0
}

// directRows reports whether the reader parses rows events of type et.
func directRows(et replication.EventType) bool {
	switch et {
	case replication.WRITE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv1,
		replication.WRITE_ROWS_EVENTv2, replication.UPDATE_ROWS_EVENTv2, replication.DELETE_ROWS_EVENTv2:
		return true
	}
	return false
}

// imageReader reads the row images of one rows event.
type imageReader struct {
	ti    *tableInfo
	plan  []binCol
	data  []byte  // the row images, the rest of the event after its header
	pos   int     // read position in data
	text  []byte  // every published value's text, in order
	spans []int32 // per image and published column: the value's end in text, -1 for NULL
}

// imageScratch holds an imageReader's text and spans between events, so that reading an
// event allocates only the values it returns (the buffers were a quarter of the tailer's
// allocations). A rows event is small (a few KiB), and so are they.
type imageScratch struct {
	text  []byte
	spans []int32
}

// maxScratch is the largest text buffer kept between events (one holding a large BLOB is not).
const maxScratch = 1 << 20

// keep takes back r's buffers for the next event.
func (s *imageScratch) keep(r *imageReader) {
	if cap(r.text) <= maxScratch {
		s.text, s.spans = r.text[:0], r.spans[:0]
	}
}

// rowImages reads the row images of ev (data: the event's bytes after its header) into
// published values, one slice per image in binlog order (an UPDATE's before and after images
// alternate). bitmaps are the event's column bitmaps (nil: absent, as the after-image bitmap of
// a WRITE or DELETE): every column must be present. scratch (nil: none) lends the reader its
// buffers; the values returned do not share them.
func (ti *tableInfo) rowImages(scratch *imageScratch, data []byte, columns uint64, bitmaps ...[]byte) ([][]*string, error) {
	if scratch == nil {
		scratch = &imageScratch{}
	}
	r := &imageReader{ti: ti, plan: ti.plan, data: data, text: scratch.text[:0], spans: scratch.spans[:0]}
	defer scratch.keep(r)
	if len(data) > 0 {
		for _, bm := range bitmaps {
			if bm != nil && !allSet(bm, int(columns)) {
				return nil, ErrRowImage
			}
		}
	}
	images := 0
	for r.pos < len(r.data) {
		if err := r.image(); err != nil {
			return nil, fmt.Errorf("row image %d: %w", images, err)
		}
		images++
	}
	if len(bitmaps) > 1 && bitmaps[1] != nil && images%2 != 0 { // an UPDATE's images come in pairs
		return nil, fmt.Errorf("row image %d: %w", images, errImageEnd)
	}
	return r.values(images), nil
}

// allSet reports whether the first n bits of bitmap are set.
func allSet(bitmap []byte, n int) bool {
	if len(bitmap) < (n+7)/8 {
		return false
	}
	for i := range n {
		if bitmap[i>>3]&(1<<(i&7)) == 0 {
			return false
		}
	}
	return true
}

// image reads one row image: its NULL bitmap, then the value of every non-NULL column.
func (r *imageReader) image() error {
	nulls, err := r.take((len(r.plan) + 7) / 8)
	if err != nil {
		return err
	}
	base := len(r.spans)
	for range r.ti.columns {
		r.spans = append(r.spans, -1)
	}
	for i := range r.plan {
		if nulls[i>>3]&(1<<(i&7)) != 0 {
			continue
		}
		bc := &r.plan[i]
		var c *column
		if bc.out >= 0 {
			c = &r.ti.columns[bc.out]
		}
		if err := r.value(bc, c); err != nil {
			if c != nil {
				return fmt.Errorf("column %s (%s): %w", c.name, c.mysqlTyp, err)
			}
			return err
		}
		if c != nil {
			r.spans[base+bc.out] = int32(len(r.text))
		}
	}
	return nil
}

// take returns the next n bytes.
func (r *imageReader) take(n int) ([]byte, error) {
	if n < 0 || n > len(r.data)-r.pos {
		return nil, errImageEnd
	}
	b := r.data[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

// value reads one value of bc and appends its text when c (the published column) is not nil.
func (r *imageReader) value(bc *binCol, c *column) error {
	b, err := r.take(bc.width)
	if err != nil {
		return err
	}
	switch bc.typ {
	case mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_VAR_STRING, mysql.MYSQL_TYPE_STRING,
		mysql.MYSQL_TYPE_BLOB, mysql.MYSQL_TYPE_GEOMETRY, mysql.MYSQL_TYPE_VECTOR:
		v, err := r.take(int(littleEndian(b)))
		if err != nil || c == nil {
			return err
		}
		r.text, err = c.appendBytes(r.text, v)
		return err
	}
	if c == nil {
		return nil
	}
	return r.appendFixed(bc.typ, c, b)
}

// appendFixed appends the text of a fixed-width value b of type typ.
func (r *imageReader) appendFixed(typ byte, c *column, b []byte) error {
	var err error
	switch typ {
	case mysql.MYSQL_TYPE_TINY, mysql.MYSQL_TYPE_SHORT, mysql.MYSQL_TYPE_INT24, mysql.MYSQL_TYPE_LONG,
		mysql.MYSQL_TYPE_LONGLONG:
		r.text = appendInteger(r.text, littleEndian(b), len(b), c.kind == kindUnsigned)
	case mysql.MYSQL_TYPE_FLOAT:
		r.text = event.AppendFloat(r.text, float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), 32)
	case mysql.MYSQL_TYPE_DOUBLE:
		r.text = event.AppendFloat(r.text, math.Float64frombits(binary.LittleEndian.Uint64(b)), 64)
	case mysql.MYSQL_TYPE_NEWDECIMAL:
		r.text, err = appendDecimal(r.text, bigEndian(b), c.meta)
	case mysql.MYSQL_TYPE_DATETIME2:
		r.text = appendDatetime2(r.text, bigEndian(b), c.fsp)
	case mysql.MYSQL_TYPE_TIMESTAMP2:
		r.text = appendTimestamp2(r.text, bigEndian(b), c.fsp)
	case mysql.MYSQL_TYPE_DATE:
		r.text = appendDate(r.text, uint32(littleEndian(b)))
	case mysql.MYSQL_TYPE_YEAR:
		r.text = appendYear(r.text, b[0])
	case mysql.MYSQL_TYPE_BIT:
		r.text = strconv.AppendUint(r.text, bigEndian(b), 10)
	case mysql.MYSQL_TYPE_ENUM:
		err = r.appendEnum(c, int64(littleEndian(b)))
	case mysql.MYSQL_TYPE_SET:
		r.text, err = c.appendSet(r.text, littleEndian(b))
	default:
		err = fmt.Errorf("binlog type %d has no reader", typ) // imagePlan admits no other type
	}
	return err
}

// appendInteger appends an integer stored in width bytes, read as signed unless unsigned.
func appendInteger(b []byte, u uint64, width int, unsigned bool) []byte {
	if unsigned {
		return strconv.AppendUint(b, u, 10)
	}
	shift := 64 - 8*width
	return strconv.AppendInt(b, int64(u<<shift)>>shift, 10)
}

// appendDate appends go-mysql's DATE text ("%04d-%02d-%02d" of the packed fields).
func appendDate(b []byte, v uint32) []byte {
	if v == 0 {
		return append(b, "0000-00-00"...)
	}
	b = appendPadded(b, int64(v/(16*32)), 4)
	b = appendPadded(append(b, '-'), int64(v/32%16), 2)
	return appendPadded(append(b, '-'), int64(v%32), 2)
}

// appendYear appends a YEAR's text: 0 is "0000", any other byte y is 1900+y.
func appendYear(b []byte, y byte) []byte {
	if y == 0 {
		return append(b, "0000"...)
	}
	return strconv.AppendInt(b, 1900+int64(y), 10)
}

// appendEnum appends an ENUM member as column.formatEnum does.
func (r *imageReader) appendEnum(c *column, idx int64) error {
	s, err := c.enumText(idx)
	r.text = append(r.text, s...)
	return err
}

// values cuts the images' values from the text: one string holds them all.
func (r *imageReader) values(images int) [][]*string {
	text := string(r.text)
	n := len(r.ti.columns)
	slab := newValueSlab(images, n)
	out := make([][]*string, images)
	start := int32(0)
	for i := range out {
		ptrs, strs := slab.next(n)
		for k, end := range r.spans[i*n : (i+1)*n] {
			if end < 0 {
				continue
			}
			strs[k] = text[start:end]
			ptrs[k], start = &strs[k], end
		}
		out[i] = ptrs
	}
	return out
}

// littleEndian reads up to 8 bytes as a little-endian unsigned integer.
func littleEndian(b []byte) uint64 {
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// bigEndian reads up to 8 bytes as a big-endian unsigned integer.
func bigEndian(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}
