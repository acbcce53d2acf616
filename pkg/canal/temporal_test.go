package canal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// fde57 is a MySQL 5.7 FORMAT_DESCRIPTION_EVENT (CRC32 checksums), from go-mysql's own parser
// tests: the post-header lengths it declares give 6-byte table ids.
var fde57 = []byte{0x64, 0x61, 0x72, 0x63, 0xf, 0xb, 0x0, 0x0, 0x0, 0x77, 0x0, 0x0, 0x0, 0x7b, 0x0, 0x0, 0x0, 0x1, 0x0, 0x4, 0x0, 0x35, 0x2e, 0x37, 0x2e, 0x32, 0x32, 0x2d, 0x6c, 0x6f, 0x67, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x64, 0x61, 0x72, 0x63, 0x13, 0x38, 0xd, 0x0, 0x8, 0x0, 0x12, 0x0, 0x4, 0x4, 0x4, 0x4, 0x12, 0x0, 0x0, 0x5f, 0x0, 0x4, 0x1a, 0x8, 0x0, 0x0, 0x0, 0x8, 0x8, 0x8, 0x2, 0x0, 0x0, 0x0, 0xa, 0xa, 0xa, 0x2a, 0x2a, 0x0, 0x12, 0x34, 0x0, 0x1, 0xb8, 0x78, 0x9d, 0xfe}

// binlogEvent frames body as an event of type typ (19-byte header, 4 checksum bytes that the
// parser strips without checking).
func binlogEvent(typ replication.EventType, body []byte) []byte {
	ev := make([]byte, 19, 19+len(body)+4)
	ev[4] = byte(typ)
	binary.LittleEndian.PutUint32(ev[9:], uint32(19+len(body)+4))
	return append(append(ev, body...), 0, 0, 0, 0)
}

// temporalEvents returns a table map event of table db.t with one column of type typ and fsp
// dec, and a WRITE_ROWS_EVENTv2 of one row holding value (the column's stored bytes).
func temporalEvents(typ byte, dec uint16, value []byte) (tableMap, rows []byte) {
	return oneColumnEvents(typ, []byte{byte(dec)}, nil, value)
}

// oneColumnEvents returns a table map event of table db.t with one column of type typ, table map
// metadata meta and optional metadata opt (type-length-value fields), and a WRITE_ROWS_EVENTv2
// of one row holding value (the column's stored bytes).
func oneColumnEvents(typ byte, meta, opt, value []byte) (tableMap, rows []byte) {
	tm := []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 'd', 'b', 0, 1, 't', 0, 1, typ, byte(len(meta))}
	tm = append(append(append(tm, meta...), 0), opt...)    // then the null bitmap
	rw := []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0xff, 0} // id, flags, extra length 2, 1 column, bitmap, null bitmap
	return binlogEvent(replication.TABLE_MAP_EVENT, tm),
		binlogEvent(replication.WRITE_ROWS_EVENTv2, append(rw, value...))
}

// decodeTemporal parses the events with a fresh parser (decode set as its rows decoder when not
// nil) and returns the row's one value.
func decodeTemporal(t *testing.T, decode func(*replication.RowsEvent, []byte) error, events ...[]byte) any {
	t.Helper()
	v, err := parseOne(decode, events...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// parseOne is decodeTemporal's parse, returning what fails as an error (go-mysql turns a panic
// while decoding rows into one).
func parseOne(decode func(*replication.RowsEvent, []byte) error, events ...[]byte) (any, error) {
	p := replication.NewBinlogParser()
	p.SetTimestampStringLocation(time.UTC) // as the tailer's syncer config
	p.SetRowsEventDecodeFunc(decode)
	var last *replication.BinlogEvent
	for _, ev := range append([][]byte{fde57}, events...) {
		e, err := p.Parse(ev)
		if err != nil {
			return nil, fmt.Errorf("parse event: %w", err)
		}
		last = e
	}
	re := last.Event.(*replication.RowsEvent)
	if len(re.Rows) != 1 || len(re.Rows[0]) != 1 {
		return nil, fmt.Errorf("decoded rows %v, want one row of one value", re.Rows)
	}
	if re.Table.ColumnType[0] == mysql.MYSQL_TYPE_BIT {
		return nil, errors.New("the event's table map is the decoding copy, not the source's")
	}
	return re.Rows[0][0], nil
}

// checkTemporal compares go-mysql's text of a stored value with the tailer's from raw bytes;
// value is cut or zero-padded to the column's width.
func checkTemporal(t *testing.T, typ byte, dec uint16, value []byte) {
	n := temporalBytes(typ, dec)
	if n == 0 {
		t.Fatalf("type %d fsp %d is not a temporal column the tailer decodes", typ, dec)
	}
	value = append(value[:min(len(value), n):min(len(value), n)], make([]byte, max(0, n-len(value)))...)
	tm, rows := temporalEvents(typ, dec, value)
	want := decodeTemporal(t, nil, tm, rows)
	raw := decodeTemporal(t, (&rawDecoder{}).decode, tm, rows)
	var c column
	if _, err := c.describe(typ, dec, false, nil, 0, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, err := c.format(raw)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := want.(string); !ok || got != s {
		t.Fatalf("type %d fsp %d bytes %x: tailer %q, go-mysql %#v", typ, dec, value[:n], got, want)
	}
}

// datetime2Bytes encodes a DATETIME2 value as MySQL stores it (fields unchecked, so invalid dates
// and out-of-range fields are encodable).
func datetime2Bytes(y, mo, d, h, mi, s, frac int64, dec uint16) []byte {
	v := uint64((((y*13+mo)<<5|d)<<17 | h<<12 | mi<<6 | s) + replication.DATETIMEF_INT_OFS)
	b := []byte{byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	return appendFracBytes(b, frac, dec)
}

// timestamp2Bytes encodes a TIMESTAMP2 value as MySQL stores it.
func timestamp2Bytes(sec uint32, frac int64, dec uint16) []byte {
	return appendFracBytes(binary.BigEndian.AppendUint32(nil, sec), frac, dec)
}

// appendFracBytes appends the stored fraction of frac microseconds for fsp dec.
func appendFracBytes(b []byte, frac int64, dec uint16) []byte {
	switch dec {
	case 1, 2:
		return append(b, byte(frac/10000))
	case 3, 4:
		return binary.BigEndian.AppendUint16(b, uint16(frac/100))
	case 5, 6:
		return append(b, byte(frac>>16), byte(frac>>8), byte(frac))
	}
	return b
}

func TestRawTemporalMatchesGoMySQL(t *testing.T) {
	cases := []struct {
		name  string
		typ   byte
		dec   uint16
		value []byte
	}{
		{"datetime zero", mysql.MYSQL_TYPE_DATETIME2, 0, datetime2Bytes(0, 0, 0, 0, 0, 0, 0, 0)},
		{"datetime(6) zero with fraction", mysql.MYSQL_TYPE_DATETIME2, 6, datetime2Bytes(0, 0, 0, 0, 0, 0, 1, 6)},
		{"datetime(3) max", mysql.MYSQL_TYPE_DATETIME2, 3, datetime2Bytes(9999, 12, 31, 23, 59, 59, 999000, 3)},
		{"datetime(6) order time", mysql.MYSQL_TYPE_DATETIME2, 6, datetime2Bytes(2026, 12, 6, 4, 20, 27, 123456, 6)},
		{"datetime invalid date", mysql.MYSQL_TYPE_DATETIME2, 0, datetime2Bytes(2020, 2, 30, 1, 2, 3, 0, 0)},
		{"datetime(1) zero month", mysql.MYSQL_TYPE_DATETIME2, 1, datetime2Bytes(2020, 0, 0, 0, 0, 0, 500000, 1)},
		{"datetime(2) before 1970", mysql.MYSQL_TYPE_DATETIME2, 2, datetime2Bytes(1000, 1, 1, 0, 0, 0, 10000, 2)},
		{"datetime(4)", mysql.MYSQL_TYPE_DATETIME2, 4, datetime2Bytes(2024, 2, 29, 12, 34, 56, 123400, 4)},
		{"datetime(5)", mysql.MYSQL_TYPE_DATETIME2, 5, datetime2Bytes(2024, 2, 29, 12, 34, 56, 123450, 5)},
		{"datetime year 0", mysql.MYSQL_TYPE_DATETIME2, 0, datetime2Bytes(0, 1, 1, 0, 0, 1, 0, 0)},
		{"datetime fraction bytes past 999999", mysql.MYSQL_TYPE_DATETIME2, 6, datetime2Bytes(2024, 1, 1, 0, 0, 0, 0xFFFFFF, 6)},
		{"timestamp zero", mysql.MYSQL_TYPE_TIMESTAMP2, 0, timestamp2Bytes(0, 0, 0)},
		{"timestamp(6) zero with fraction", mysql.MYSQL_TYPE_TIMESTAMP2, 6, timestamp2Bytes(0, 999999, 6)},
		{"timestamp first second", mysql.MYSQL_TYPE_TIMESTAMP2, 0, timestamp2Bytes(1, 0, 0)},
		{"timestamp(6) 2038", mysql.MYSQL_TYPE_TIMESTAMP2, 6, timestamp2Bytes(2147483647, 999999, 6)},
		{"timestamp(3) max uint32", mysql.MYSQL_TYPE_TIMESTAMP2, 3, timestamp2Bytes(0xFFFFFFFF, 999000, 3)},
		{"timestamp(2) leap day", mysql.MYSQL_TYPE_TIMESTAMP2, 2, timestamp2Bytes(1709210096, 120000, 2)},
		{"timestamp(4) fraction past 999999", mysql.MYSQL_TYPE_TIMESTAMP2, 4, timestamp2Bytes(1709210096, 6553500, 4)},
		{"timestamp(5)", mysql.MYSQL_TYPE_TIMESTAMP2, 5, timestamp2Bytes(1709210096, 12340, 5)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkTemporal(t, tc.typ, tc.dec, tc.value) })
	}
}

func FuzzTemporalMatchesGoMySQL(f *testing.F) {
	f.Add(false, uint8(0), datetime2Bytes(2026, 12, 6, 4, 20, 27, 0, 0))
	f.Add(false, uint8(6), datetime2Bytes(0, 0, 0, 0, 0, 0, 7, 6))
	f.Add(true, uint8(3), timestamp2Bytes(1709210096, 120000, 3))
	f.Add(true, uint8(6), timestamp2Bytes(0, 5, 6))
	f.Fuzz(func(t *testing.T, timestamp bool, dec uint8, value []byte) {
		typ := byte(mysql.MYSQL_TYPE_DATETIME2)
		if timestamp {
			typ = mysql.MYSQL_TYPE_TIMESTAMP2
		}
		checkTemporal(t, typ, uint16(dec%7), value)
	})
}

// TestRawTemporalKeepsOtherColumns checks that the decoding copy only retypes temporal columns
// and is cached per table map.
func TestRawTemporalKeepsOtherColumns(t *testing.T) {
	tm := &replication.TableMapEvent{ColumnCount: 4,
		ColumnType: []byte{mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_DATETIME2, mysql.MYSQL_TYPE_TIMESTAMP2, mysql.MYSQL_TYPE_DATETIME2},
		ColumnMeta: []uint16{0, 6, 0, 7}}
	d := &rawDecoder{}
	raw := d.rawTable(tm)
	wantTypes := []byte{mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_BIT, mysql.MYSQL_TYPE_BIT, mysql.MYSQL_TYPE_DATETIME2}
	wantMeta := []uint16{0, 8 << 8, 4 << 8, 7}
	for i := range wantTypes {
		if raw.ColumnType[i] != wantTypes[i] || raw.ColumnMeta[i] != wantMeta[i] {
			t.Errorf("column %d: type %d meta %#x, want %d %#x", i, raw.ColumnType[i], raw.ColumnMeta[i], wantTypes[i], wantMeta[i])
		}
	}
	if tm.ColumnType[1] != mysql.MYSQL_TYPE_DATETIME2 || tm.ColumnMeta[1] != 6 {
		t.Error("the source's table map was modified")
	}
	if d.rawTable(tm) != raw {
		t.Error("second lookup built a new copy")
	}
	plain := &replication.TableMapEvent{ColumnCount: 1, ColumnType: []byte{mysql.MYSQL_TYPE_LONG}, ColumnMeta: []uint16{0}}
	if d.rawTable(plain) != plain {
		t.Error("a table map without temporal columns was copied")
	}
}
