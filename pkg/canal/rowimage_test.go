package canal

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// imageColumn is a column type the row-image tests draw from: its binlog type, table map
// metadata bytes, signedness, collation (character columns) and ENUM/SET members.
type imageColumn struct {
	typ       byte
	meta      []byte
	unsigned  bool
	collation uint64
	members   []string
}

const (
	utf8mb4 = 45
	latin1  = 8
	binColl = 63
)

// imageColumns covers every type rowImages reads, in its widths and charsets, plus types it
// leaves to go-mysql (JSON, TIME2, a wide DECIMAL).
var imageColumns = []imageColumn{
	{typ: mysql.MYSQL_TYPE_TINY}, {typ: mysql.MYSQL_TYPE_TINY, unsigned: true},
	{typ: mysql.MYSQL_TYPE_SHORT}, {typ: mysql.MYSQL_TYPE_SHORT, unsigned: true},
	{typ: mysql.MYSQL_TYPE_INT24}, {typ: mysql.MYSQL_TYPE_INT24, unsigned: true},
	{typ: mysql.MYSQL_TYPE_LONG}, {typ: mysql.MYSQL_TYPE_LONG, unsigned: true},
	{typ: mysql.MYSQL_TYPE_LONGLONG}, {typ: mysql.MYSQL_TYPE_LONGLONG, unsigned: true},
	{typ: mysql.MYSQL_TYPE_FLOAT, meta: []byte{4}}, {typ: mysql.MYSQL_TYPE_DOUBLE, meta: []byte{8}},
	{typ: mysql.MYSQL_TYPE_NEWDECIMAL, meta: []byte{12, 2}}, {typ: mysql.MYSQL_TYPE_NEWDECIMAL, meta: []byte{18, 0}},
	{typ: mysql.MYSQL_TYPE_NEWDECIMAL, meta: []byte{5, 5}, unsigned: true},
	{typ: mysql.MYSQL_TYPE_NEWDECIMAL, meta: []byte{30, 10}}, // 14 bytes: go-mysql
	{typ: mysql.MYSQL_TYPE_DATETIME2, meta: []byte{0}}, {typ: mysql.MYSQL_TYPE_DATETIME2, meta: []byte{3}},
	{typ: mysql.MYSQL_TYPE_DATETIME2, meta: []byte{6}}, {typ: mysql.MYSQL_TYPE_TIMESTAMP2, meta: []byte{0}},
	{typ: mysql.MYSQL_TYPE_TIMESTAMP2, meta: []byte{5}}, {typ: mysql.MYSQL_TYPE_DATE}, {typ: mysql.MYSQL_TYPE_YEAR},
	{typ: mysql.MYSQL_TYPE_BIT, meta: []byte{1, 0}}, {typ: mysql.MYSQL_TYPE_BIT, meta: []byte{1, 2}},
	{typ: mysql.MYSQL_TYPE_BIT, meta: []byte{0, 8}},
	{typ: mysql.MYSQL_TYPE_VARCHAR, meta: le16(400), collation: utf8mb4},
	{typ: mysql.MYSQL_TYPE_VARCHAR, meta: le16(20), collation: latin1},
	{typ: mysql.MYSQL_TYPE_VARCHAR, meta: le16(300), collation: binColl},
	{typ: mysql.MYSQL_TYPE_STRING, meta: []byte{mysql.MYSQL_TYPE_STRING, 40}, collation: utf8mb4},
	{typ: mysql.MYSQL_TYPE_STRING, meta: []byte{mysql.MYSQL_TYPE_STRING, 4}, collation: binColl},
	{typ: mysql.MYSQL_TYPE_STRING, meta: []byte{0xCE, 0xFC}, collation: utf8mb4}, // CHAR(255): 1,020 bytes
	{typ: mysql.MYSQL_TYPE_STRING, meta: []byte{mysql.MYSQL_TYPE_ENUM, 1}, members: []string{"new", "paid", "shipped"}},
	{typ: mysql.MYSQL_TYPE_STRING, meta: []byte{mysql.MYSQL_TYPE_ENUM, 2}, members: []string{"a", "b"}},
	{typ: mysql.MYSQL_TYPE_STRING, meta: []byte{mysql.MYSQL_TYPE_SET, 1}, members: []string{"x", "y", "z"}},
	{typ: mysql.MYSQL_TYPE_BLOB, meta: []byte{2}, collation: binColl},
	{typ: mysql.MYSQL_TYPE_BLOB, meta: []byte{2}, collation: utf8mb4},
	{typ: mysql.MYSQL_TYPE_BLOB, meta: []byte{1}, collation: latin1},
	{typ: mysql.MYSQL_TYPE_GEOMETRY, meta: []byte{4}},
	{typ: mysql.MYSQL_TYPE_JSON, meta: []byte{4}},  // go-mysql
	{typ: mysql.MYSQL_TYPE_TIME2, meta: []byte{0}}, // go-mysql
}

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }

// imageTable builds the table map event of table db.t with cols (column i named ci, signedness,
// charsets, ENUM/SET members and column names in the optional metadata).
func imageTable(cols []imageColumn) []byte {
	n := len(cols)
	tm := []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 'd', 'b', 0, 1, 't', 0, byte(n)}
	var meta, signed, charsets, names, enums, sets []byte
	var numeric, chars int
	charsets = append(charsets, utf8mb4)
	for i, c := range cols {
		tm = append(tm, c.typ)
		meta = append(meta, c.meta...)
		names = append(names, byte(len(fmt.Sprint("c", i))))
		names = append(names, fmt.Sprint("c", i)...)
		if isNumeric(c) {
			if numeric%8 == 0 {
				signed = append(signed, 0)
			}
			if c.unsigned {
				signed[numeric/8] |= 0x80 >> (numeric % 8)
			}
			numeric++
		}
		if c.collation != 0 {
			charsets = append(charsets, byte(chars), byte(c.collation))
			chars++
		}
		if c.members != nil {
			list := []byte{byte(len(c.members))}
			for _, m := range c.members {
				list = append(append(list, byte(len(m))), m...)
			}
			if c.meta[0] == mysql.MYSQL_TYPE_ENUM {
				enums = append(enums, list...)
			} else {
				sets = append(sets, list...)
			}
		}
	}
	tm = append(append(append(tm, byte(len(meta))), meta...), make([]byte, (n+7)/8)...)
	for _, f := range []struct {
		typ byte
		v   []byte
	}{{replication.TABLE_MAP_OPT_META_SIGNEDNESS, signed}, {replication.TABLE_MAP_OPT_META_DEFAULT_CHARSET, charsets},
		{replication.TABLE_MAP_OPT_META_COLUMN_NAME, names}, {replication.TABLE_MAP_OPT_META_ENUM_STR_VALUE, enums},
		{replication.TABLE_MAP_OPT_META_SET_STR_VALUE, sets}} {
		if len(f.v) > 0 {
			tm = append(append(append(tm, f.typ), byte(len(f.v))), f.v...)
		}
	}
	return binlogEvent(replication.TABLE_MAP_EVENT, tm)
}

func isNumeric(c imageColumn) bool {
	switch c.typ {
	case mysql.MYSQL_TYPE_TINY, mysql.MYSQL_TYPE_SHORT, mysql.MYSQL_TYPE_INT24, mysql.MYSQL_TYPE_LONG,
		mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_NEWDECIMAL, mysql.MYSQL_TYPE_FLOAT, mysql.MYSQL_TYPE_DOUBLE,
		mysql.MYSQL_TYPE_YEAR:
		return true
	}
	return false
}

// imageRows frames images (NULL bitmaps and values) as a rows event of type typ over n columns.
func imageRows(typ replication.EventType, n int, images []byte) []byte {
	body := []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, byte(n)}
	bitmap := make([]byte, (n+7)/8)
	for i := range bitmap {
		bitmap[i] = 0xFF
	}
	body = append(body, bitmap...)
	if typ == replication.UPDATE_ROWS_EVENTv2 {
		body = append(body, bitmap...)
	}
	return binlogEvent(typ, append(body, images...))
}

// imageOutcome is what compareImages compared.
type imageOutcome int

const (
	viaGoMySQL  imageOutcome = iota // a table rowImages leaves to go-mysql
	bothFailed                      // both reject the bytes
	equalImages                     // both read the same values
)

// compareImages parses the events with go-mysql's decoding (the tailer's fallback) and with
// rowImages and requires equal values, or an error from both. exclude drops column ci.
func compareImages(t *testing.T, cols []imageColumn, typ replication.EventType, images []byte, exclude int) imageOutcome {
	t.Helper()
	tmEv, rowsEv := imageTable(cols), imageRows(typ, len(cols), images)
	cfg := Config{}
	if exclude >= 0 {
		cfg.ExcludeColumns = []string{fmt.Sprint("db.t.c", exclude)}
	}
	want, wantErr := goMySQLImages(tmEv, rowsEv, &cfg)
	got, gotErr, direct := directImages(tmEv, rowsEv, &cfg)
	if !direct {
		return viaGoMySQL
	}
	if (wantErr != nil) != (gotErr != nil) {
		t.Fatalf("columns %v images %x: go-mysql error %v, rowImages error %v", typesOf(cols), images, wantErr, gotErr)
	}
	if wantErr != nil {
		return bothFailed
	}
	if len(got) != len(want) {
		t.Fatalf("columns %v images %x: rowImages %d images, go-mysql %d", typesOf(cols), images, len(got), len(want))
	}
	for i := range want {
		for k := range want[i] {
			if g, w := deref(got[i][k]), deref(want[i][k]); g != w {
				t.Fatalf("columns %v images %x: image %d column %d: rowImages %s, go-mysql %s", typesOf(cols), images, i, k, g, w)
			}
		}
	}
	return equalImages
}

func typesOf(cols []imageColumn) []string {
	var out []string
	for _, c := range cols {
		out = append(out, fmt.Sprintf("%d/%x", c.typ, c.meta))
	}
	return out
}

func deref(p *string) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", *p)
}

// parseImageEvents parses the events with decode as the rows decoder; it returns the rows event
// and its table (nil and an error when the table map itself is rejected).
func parseImageEvents(decode func(*replication.RowsEvent, []byte) error, cfg *Config, events ...[]byte) (*replication.RowsEvent, *tableInfo, error) {
	re, _, ti, err := parseImageEventsAfter(fde57, decode, cfg, events...)
	return re, ti, err
}

// parseImageEventsAfter is parseImageEvents after the format description event fde; it also
// returns the rows event's header.
func parseImageEventsAfter(fde []byte, decode func(*replication.RowsEvent, []byte) error, cfg *Config,
	events ...[]byte) (*replication.RowsEvent, *replication.EventHeader, *tableInfo, error) {
	p := replication.NewBinlogParser()
	p.SetRowsEventDecodeFunc(decode)
	var last *replication.BinlogEvent
	for _, ev := range append([][]byte{fde}, events...) {
		e, err := p.Parse(ev)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("parse event: %w", err)
		}
		last = e
	}
	re := last.Event.(*replication.RowsEvent)
	ti, err := buildTable(re.Table, newFilter(cfg), NoPKAllColumns)
	return re, last.Header, ti, err
}

// goMySQLImages is the tailer's go-mysql path: decode, then format each value.
func goMySQLImages(tmEv, rowsEv []byte, cfg *Config) ([][]*string, error) {
	// go-mysql reads a value that runs past the event's end from the buffer beyond it, as far as
	// the slice's capacity allows; rowImages reports it. Without the capacity go-mysql panics
	// there, which it returns as an error.
	decode := func(e *replication.RowsEvent, data []byte) error {
		return (&rawDecoder{}).decode(e, data[:len(data):len(data)])
	}
	re, ti, err := parseImageEvents(decode, cfg, tmEv, rowsEv)
	if err != nil {
		return nil, err
	}
	return (&Tailer{}).decodedImages(re, ti, pendingRows{}, false)
}

// directImages is the tailer's own path; direct is false when it leaves the table to go-mysql.
func directImages(tmEv, rowsEv []byte, cfg *Config) (images [][]*string, err error, direct bool) {
	d := &rawDecoder{}
	re, ti, err := parseImageEvents(d.deferRows, cfg, tmEv, rowsEv)
	if err != nil || ti.plan == nil {
		return nil, err, false
	}
	p, ok := d.take(re)
	if !ok {
		return nil, fmt.Errorf("deferRows kept no row images"), true
	}
	// Read twice with one scratch, as the tailer reads event after event: the second read
	// reuses the first's buffers, and the first's values must not share them (the buffer is
	// overwritten in between).
	var scratch imageScratch
	images, err = ti.rowImages(&scratch, p.data[p.pos:], re.ColumnCount, re.ColumnBitmap1, re.ColumnBitmap2)
	before := fmt.Sprint(derefImages(images))
	for i, b := 0, scratch.text[:cap(scratch.text)]; i < len(b); i++ {
		b[i] = '#' // as the next event's text would overwrite it
	}
	after := fmt.Sprint(derefImages(images))
	again, err2 := ti.rowImages(&scratch, p.data[p.pos:], re.ColumnCount, re.ColumnBitmap1, re.ColumnBitmap2)
	if after != before || (err == nil) != (err2 == nil) || (err == nil && fmt.Sprint(derefImages(again)) != before) {
		return nil, fmt.Errorf("reading again with the same scratch changed the values: %s, then %s (%v, %v)", before, after, err, err2), true
	}
	return images, err, true
}

// derefImages returns images' values as text ("<nil>" for NULL), for comparing.
func derefImages(images [][]*string) [][]string {
	out := make([][]string, len(images))
	for i, row := range images {
		for _, v := range row {
			if v == nil {
				out[i] = append(out[i], "<nil>")
			} else {
				out[i] = append(out[i], *v)
			}
		}
	}
	return out
}

// randomImage appends one row image of cols with plausible values (and some NULLs) from rng.
func randomImage(b []byte, cols []imageColumn, rng *rand.Rand) []byte {
	nulls := make([]byte, (len(cols)+7)/8)
	var values []byte
	for i, c := range cols {
		if rng.IntN(8) == 0 {
			nulls[i/8] |= 1 << (i % 8)
			continue
		}
		values = appendRandomValue(values, c, rng)
	}
	return append(append(b, nulls...), values...)
}

// appendRandomValue appends a stored value of c: mostly valid, sometimes not (random bytes of
// the stored width, text that is not UTF-8, indexes beyond the members).
func appendRandomValue(b []byte, c imageColumn, rng *rand.Rand) []byte {
	switch c.typ {
	case mysql.MYSQL_TYPE_NEWDECIMAL:
		if n := decimalBytes(uint16(c.meta[0])<<8 | uint16(c.meta[1])); n > 0 && rng.IntN(20) > 0 { // else random bytes
			prec, scale := int(c.meta[0]), int(c.meta[1])
			return append(b, decimalStored(randomDecimal(rng, prec, scale), prec, scale)...)
		}
	case mysql.MYSQL_TYPE_DATETIME2:
		return append(b, datetime2Bytes(rng.Int64N(10000), rng.Int64N(13), rng.Int64N(32), rng.Int64N(24),
			rng.Int64N(60), rng.Int64N(60), rng.Int64N(1e6), uint16(c.meta[0]))...)
	case mysql.MYSQL_TYPE_TIMESTAMP2:
		return append(b, timestamp2Bytes(rng.Uint32(), rng.Int64N(1e6), uint16(c.meta[0]))...)
	case mysql.MYSQL_TYPE_STRING:
		if c.members != nil { // an index or bitmask, at times beyond the members
			_, w := stringType(metaOf(c))
			var v [8]byte
			limit := 1 << len(c.members) // SET bits
			if c.meta[0] == mysql.MYSQL_TYPE_ENUM {
				limit = len(c.members) + 1 // index 0 is the '' stored for an invalid value
			}
			if rng.IntN(20) == 0 {
				limit++ // one too many
			}
			binary.LittleEndian.PutUint64(v[:], uint64(rng.IntN(limit)))
			return append(b, v[:w]...)
		}
		return appendRandomString(b, c, rng)
	case mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_BLOB, mysql.MYSQL_TYPE_GEOMETRY:
		return appendRandomString(b, c, rng)
	}
	w := fixedWidth(c.typ, metaOf(c))
	if w == 0 {
		w = 1 + rng.IntN(8)
	}
	return append(b, randomBytes(rng, w)...)
}

// appendRandomString appends a length-prefixed string value of c.
func appendRandomString(b []byte, c imageColumn, rng *rand.Rand) []byte {
	prefix := fixedWidth(c.typ, metaOf(c))
	if c.typ == mysql.MYSQL_TYPE_STRING {
		_, prefix = stringType(metaOf(c))
	}
	texts := []string{"", "a", "héllo", "订单", "€", "x\x00y", "trailing  ", "O-20261206-000042"}
	s := []byte(texts[rng.IntN(len(texts))])
	if rng.IntN(40) == 0 {
		s = randomBytes(rng, rng.IntN(20)) // rarely UTF-8
	}
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(s)))
	return append(append(b, n[:prefix]...), s...)
}

// metaOf returns c's table map metadata as go-mysql decodes it.
func metaOf(c imageColumn) uint16 {
	switch {
	case len(c.meta) == 0:
		return 0
	case len(c.meta) == 1:
		return uint16(c.meta[0])
	case c.typ == mysql.MYSQL_TYPE_STRING || c.typ == mysql.MYSQL_TYPE_NEWDECIMAL:
		return uint16(c.meta[0])<<8 | uint16(c.meta[1])
	}
	return binary.LittleEndian.Uint16(c.meta)
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func randomDecimal(rng *rand.Rand, prec, scale int) string {
	digits := make([]byte, prec)
	for i := range digits {
		digits[i] = byte('0' + rng.IntN(10))
	}
	s := string(digits[:prec-scale])
	if scale > 0 {
		s += "." + string(digits[prec-scale:])
	}
	if rng.IntN(2) == 0 {
		s = "-" + s
	}
	return s
}

// randomTable draws 1 to 12 columns; one table in ten may hold a type left to go-mysql.
func randomTable(rng *rand.Rand) []imageColumn {
	cols := make([]imageColumn, 1+rng.IntN(12))
	mixed := rng.IntN(10) == 0
	for i := range cols {
		for {
			cols[i] = imageColumns[rng.IntN(len(imageColumns))]
			if mixed || fixedWidth(cols[i].typ, metaOf(cols[i])) > 0 || cols[i].typ == mysql.MYSQL_TYPE_STRING {
				break
			}
		}
	}
	return cols
}

// TestRowImagesMatchGoMySQL compares rowImages with go-mysql's decoding plus column.format on
// random tables and rows: every supported type, NULLs, excluded columns, UPDATE pairs, values no
// server writes, truncated and extended images.
func TestRowImagesMatchGoMySQL(t *testing.T) {
	types := []replication.EventType{replication.WRITE_ROWS_EVENTv2, replication.UPDATE_ROWS_EVENTv2, replication.DELETE_ROWS_EVENTv2}
	outcomes := map[imageOutcome]int{}
	for seed := range uint64(3000) {
		rng := rand.New(rand.NewPCG(seed, 7))
		cols := randomTable(rng)
		var images []byte
		for range 1 + rng.IntN(4) {
			images = randomImage(images, cols, rng)
		}
		typ := types[rng.IntN(len(types))]
		if typ == replication.UPDATE_ROWS_EVENTv2 {
			images = randomImage(images, cols, rng)
		}
		switch rng.IntN(10) {
		case 0:
			images = images[:rng.IntN(len(images)+1)] // truncated
		case 1:
			images = append(images, randomBytes(rng, 1+rng.IntN(6))...) // trailing bytes
		}
		exclude := -1
		if rng.IntN(5) == 0 {
			exclude = rng.IntN(len(cols))
		}
		outcomes[compareImages(t, cols, typ, images, exclude)]++
	}
	// The draw must exercise both paths of the comparison, not only rejections.
	if outcomes[equalImages] < 1500 || outcomes[bothFailed] < 100 {
		t.Fatalf("outcomes %v: too few equal reads or common rejections to compare", outcomes)
	}
	t.Logf("outcomes: %d equal, %d rejected by both, %d left to go-mysql", outcomes[equalImages], outcomes[bothFailed], outcomes[viaGoMySQL])
}

// TestRowImagesPlan checks which tables rowImages reads itself.
func TestRowImagesPlan(t *testing.T) {
	tiny := imageColumn{typ: mysql.MYSQL_TYPE_TINY}
	text := imageColumn{typ: mysql.MYSQL_TYPE_VARCHAR, meta: le16(400), collation: utf8mb4}
	tests := []struct {
		name   string
		cols   []imageColumn
		direct bool
	}{
		{"integers and text", []imageColumn{tiny, text}, true},
		{"decimal of 8 bytes", []imageColumn{tiny, {typ: mysql.MYSQL_TYPE_NEWDECIMAL, meta: []byte{18, 0}}}, true},
		{"decimal of 14 bytes", []imageColumn{tiny, {typ: mysql.MYSQL_TYPE_NEWDECIMAL, meta: []byte{30, 10}}}, false},
		{"json", []imageColumn{tiny, {typ: mysql.MYSQL_TYPE_JSON, meta: []byte{4}}}, false},
		{"time", []imageColumn{{typ: mysql.MYSQL_TYPE_TIME2, meta: []byte{0}}}, false},
		{"datetime fsp 7", []imageColumn{{typ: mysql.MYSQL_TYPE_DATETIME2, meta: []byte{7}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 1))
			_, err, direct := directImages(imageTable(tc.cols), imageRows(replication.WRITE_ROWS_EVENTv2, len(tc.cols),
				randomImage(nil, tc.cols, rng)), &Config{})
			if direct != tc.direct {
				t.Fatalf("read directly: %v, want %v (err %v)", direct, tc.direct, err)
			}
		})
	}
}

// FuzzRowImages compares rowImages with go-mysql on fuzzed tables (the first bytes choose the
// columns) and fuzzed row bytes.
func FuzzRowImages(f *testing.F) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		n := 1 + rng.IntN(8)
		choice := make([]byte, n)
		cols := make([]imageColumn, n)
		for i := range choice {
			choice[i] = byte(rng.IntN(len(imageColumns)))
			cols[i] = imageColumns[choice[i]]
		}
		f.Add(append(append([]byte{byte(n)}, choice...), randomImage(nil, cols, rng)...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		n := 1 + int(data[0])%12
		if len(data) < 1+n {
			return
		}
		cols := make([]imageColumn, n)
		for i := range cols {
			cols[i] = imageColumns[int(data[1+i])%len(imageColumns)]
		}
		compareImages(t, cols, replication.WRITE_ROWS_EVENTv2, data[1+n:], -1)
	})
}

// mariadbFDE is a MariaDB 10.11 format description event (CRC32 checksums) that declares the
// post-header lengths of every event type up to MariaDB's compressed rows events.
func mariadbFDE() []byte {
	body := binary.LittleEndian.AppendUint16(nil, 4)
	version := make([]byte, 50)
	copy(version, "10.11.19-MariaDB-log")
	body = append(append(body, version...), 0, 0, 0, 0, replication.EventHeaderSize)
	lengths := make([]byte, 170)
	for i := range lengths {
		lengths[i] = 8 // any length but 6 means 6-byte table ids
	}
	return binlogEvent(replication.FORMAT_DESCRIPTION_EVENT, append(append(body, lengths...), byte(replication.BINLOG_CHECKSUM_ALG_CRC32)))
}

// TestCompressedRowsEventsViaGoMySQL: MariaDB's compressed rows events (log_bin_compress) are
// decoded by go-mysql (rowImages does not parse them) and give the values of the same rows
// uncompressed.
func TestCompressedRowsEventsViaGoMySQL(t *testing.T) {
	cols := []imageColumn{{typ: mysql.MYSQL_TYPE_LONGLONG}, {typ: mysql.MYSQL_TYPE_VARCHAR, meta: le16(400), collation: utf8mb4},
		{typ: mysql.MYSQL_TYPE_DATETIME2, meta: []byte{3}}}
	rng := rand.New(rand.NewPCG(3, 3))
	var images []byte
	for range 5 {
		images = randomImage(images, cols, rng)
	}
	head := []byte{1, 0, 0, 0, 0, 0, 0, 0, byte(len(cols)), 0xFF} // v1: table id, flags, columns, bitmap
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(images); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	compressed := append(append(append([]byte(nil), head...), 0x84), binary.BigEndian.AppendUint32(nil, uint32(len(images)))...)
	compressed = append(compressed, z.Bytes()...)
	read := func(typ replication.EventType, body []byte) [][]*string {
		d := &rawDecoder{}
		re, h, ti, err := parseImageEventsAfter(mariadbFDE(), d.deferRows, &Config{}, imageTable(cols), binlogEvent(typ, body))
		if err != nil {
			t.Fatal(err)
		}
		p, ok := d.take(re)
		if !ok {
			t.Fatal("deferRows kept no row images")
		}
		got, err := (&Tailer{rows: d}).images(h, re, ti, p, true)
		if err != nil {
			t.Fatalf("event type %s: %v", typ, err)
		}
		return got
	}
	want := read(replication.WRITE_ROWS_EVENTv1, append(append([]byte(nil), head...), images...))
	got := read(replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1, compressed)
	if len(want) != 5 || len(got) != len(want) {
		t.Fatalf("compressed event: %d images, uncompressed %d, want 5", len(got), len(want))
	}
	for i := range want {
		for k := range want[i] {
			if g, w := deref(got[i][k]), deref(want[i][k]); g != w {
				t.Fatalf("image %d column %d: compressed %s, uncompressed %s", i, k, g, w)
			}
		}
	}
}
