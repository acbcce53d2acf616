package backfill

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/event"
)

func col(t testing.TB, name, typ string) Column {
	t.Helper()
	ct, err := event.ParseMySQLType(typ)
	if err != nil {
		t.Fatal(err)
	}
	return Column{Name: name, MySQLType: typ, Type: ct}
}

func TestEncodeValue(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		raw  []byte
		want *string
	}{
		{"bit(8)", []byte{0x05}, event.Str("5")},
		{"bit(64)", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, event.Str("18446744073709551615")},
		{"varbinary(4)", []byte{0x00, 0xe9, 'a'}, event.Str("\x00\u00e9a")},
		{"float", []byte("1.1"), event.Str("1.1")},
		{"double", []byte("1e-7"), event.Str("0.0000001")}, // event.FormatFloat, as the stream
		{"decimal(12,2)", []byte("12.30"), event.Str("12.30")},
		{"datetime(3)", []byte("2026-11-01 00:00:00.120"), event.Str("2026-11-01 00:00:00.120")},
		{"varchar(10)", nil, nil},
		{"int(6) unsigned zerofill", []byte("000042"), event.Str("42")},
		{"int(6) unsigned zerofill", []byte("000000"), event.Str("0")},
		{"bigint(20)", []byte("-9223372036854775808"), event.Str("-9223372036854775808")},
		{"year(4)", []byte("0000"), event.Str("0")},
		{"year(4)", []byte("2026"), event.Str("2026")},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			c := col(t, "c", tc.typ)
			got, err := encodeValue(&c, tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Fatalf("encodeValue(%s, %q) = %v, want %v", tc.typ, tc.raw, deref(got), deref(tc.want))
			}
		})
	}
}

// TestRowEncoder checks that rows encoded into shared memory hold the event form of each value
// as the server sent it (encodeValue), NULLs and empty values included, and that later rows do
// not overwrite earlier ones, across the shared blocks.
func TestRowEncoder(t *testing.T) {
	typs := []string{"bit(8)", "varbinary(4)", "float", "double", "decimal(12,2)", "varchar(10)", "datetime(3)",
		"int(11)", "bigint(20) unsigned", "year(4)"}
	var cols []Column
	for i, typ := range typs {
		cols = append(cols, col(t, fmt.Sprintf("c%d", i), typ))
	}
	b := func(s string) []byte { return []byte(s) }
	f32 := strconv.FormatFloat(float64(float32(1.1)), 'g', -1, 64) // a FLOAT read as CAST(... AS DOUBLE)
	rows := []struct {
		text [][]byte
		want []string // "NULL" for nil
	}{
		{[][]byte{{0x05}, {0x00, 0xe9, 'a'}, b(f32), b("1e-07"), b("12.30"), b("abc"), b("2026-11-01 00:00:00.120"), b("-42"), b("18446744073709551615"), b("2026")},
			[]string{"5", "\x00\u00e9a", "1.1", "0.0000001", "12.30", "abc", "2026-11-01 00:00:00.120", "-42", "18446744073709551615", "2026"}},
		{[][]byte{nil, b(""), nil, b("2.5"), nil, b(""), nil, nil, nil, b("0")},
			[]string{"NULL", "", "NULL", "2.5", "NULL", "", "NULL", "NULL", "NULL", "0"}},
		{[][]byte{{0xff}, nil, b("-0"), nil, b("-1.00"), nil, b("2026-11-01 00:00:00.000"), b("0"), b("0007"), nil},
			[]string{"255", "NULL", "-0", "NULL", "-1.00", "NULL", "2026-11-01 00:00:00.000", "0", "7", "NULL"}},
	}
	enc := newRowEncoder(cols)
	var got [][]*string
	for i := 0; i < 100; i++ { // enough rows to need new blocks
		for _, r := range rows {
			row, err := enc.encode(r.text)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, row)
		}
	}
	for i, row := range got {
		r := rows[i%len(rows)]
		for j := range cols {
			if got := deref(row[j]); got != r.want[j] {
				t.Fatalf("row %d column %s: %q, want %q", i, typs[j], got, r.want[j])
			}
		}
	}
	if _, err := enc.encode([][]byte{nil, nil, b("x"), nil, nil, nil, nil, nil, nil, nil}); err == nil {
		t.Fatal("encode accepted a float column whose text is not a number")
	}
}

// encodeValue, the reference the tests compare with, turns a column value read over MySQL's
// text protocol (parseTime off, session time zone UTC) into the change-event encoding
// (appendKind). nil stays nil (SQL NULL).
func encodeValue(c *Column, raw []byte) (*string, error) {
	if raw == nil {
		return nil, nil
	}
	b, err := appendKind(nil, kindOf(c.Type), c, raw)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

func testTable(t *testing.T) *Table {
	tb := &Table{Database: "shop", Name: "order_items", PK: []string{"order_id", "line_no"},
		Columns: []Column{col(t, "order_id", "bigint(20) unsigned"), col(t, "line_no", "smallint(5) unsigned"), col(t, "sku", "varchar(64)")}}
	tb.pkIdx = []int{0, 1}
	return tb
}

func TestChunkQuery(t *testing.T) {
	tb := testTable(t)
	q, args, err := chunkQuery(tb, []string{"7", "2"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := "SELECT `order_id`, `line_no`, `sku` FROM `shop`.`order_items` WHERE (`order_id` > ? OR `order_id` = ? AND `line_no` > ?) ORDER BY `order_id`, `line_no` LIMIT 100"
	if q != want || len(args) != 3 || args[0] != "7" || args[2] != "2" {
		t.Fatalf("chunkQuery = %q %v\nwant %q", q, args, want)
	}
	if _, _, err := chunkQuery(tb, []string{"7"}, 100); err == nil {
		t.Fatal("a resume key with the wrong arity must be refused")
	}
}

func TestBuildPlacesRowsLikeTheTailer(t *testing.T) {
	tb := testTable(t)
	b := &Builder{QueueCount: 4, MaxRows: 3, MaxBytes: 1 << 20}
	var rows [][]*string
	for i := 0; i < 40; i++ {
		rows = append(rows, []*string{event.Str(strings.Repeat("1", 1+i%3)), event.Str("1"), event.Str("sku")})
	}
	pos := Position{File: "binlog.000003", Pos: 1000}
	msgs := b.Build(tb, event.TypeInsert, rows, 42, pos)
	total := 0
	for _, o := range msgs {
		if err := o.Msg.Validate(); err != nil {
			t.Fatalf("built message does not validate: %v", err)
		}
		if o.Msg.NumRows() > 3 || !o.Msg.Ferry.Snapshot {
			t.Fatalf("message with %d rows, snapshot=%v", o.Msg.NumRows(), o.Msg.Ferry.Snapshot)
		}
		for i := range o.Msg.NumRows() {
			if q := event.QueueFor("shop", "order_items", o.Msg.RowKey(i), 4); q != o.Queue {
				t.Fatalf("row %s on queue %d, the tailer's placement says %d", o.Msg.RowKey(i), o.Queue, q)
			}
			if o.Msg.Ferry.Versions[i] != 42 {
				t.Fatalf("version %d, want 42", o.Msg.Ferry.Versions[i])
			}
		}
		total += o.Msg.NumRows()
	}
	if total != 40 {
		t.Fatalf("%d rows in messages, want 40", total)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cp, err := LoadCheckpoint(dir, "shop.orders")
	if err != nil || cp.Rows != 0 || cp.Done {
		t.Fatalf("missing checkpoint: %+v %v", cp, err)
	}
	cp.Last, cp.Rows, cp.Epoch = []string{"10", "2"}, 5000, 3
	if err := cp.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(dir, "shop.orders")
	if err != nil || strings.Join(got.Last, ",") != "10,2" || got.Rows != 5000 || got.Epoch != 3 {
		t.Fatalf("reloaded %+v %v", got, err)
	}
}

func TestSweepVersion(t *testing.T) {
	v := SweepVersion(1)
	first, err := event.Version(1, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	last, err := event.Version(0, event.MaxFileIndex, event.MaxPosition, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !(v < first && v >= last) {
		t.Fatalf("SweepVersion(1) = %d not between the last version of epoch 0 (%d) and the first of epoch 1 (%d)", v, last, first)
	}
}

// BenchmarkRowEncoder measures encoding one orders row as the server sends it (the types and
// values of backfilltest.BulkOrders) into its event values.
func BenchmarkRowEncoder(b *testing.B) {
	typs := []string{"bigint(20) unsigned", "varchar(32)", "varchar(64)", "bigint(20) unsigned", "varchar(16)",
		"decimal(12,2)", "decimal(12,2)", "decimal(12,2)", "int(11)", "json", "varchar(255)", "varchar(16)",
		"datetime", "datetime(6)", "datetime(6)", "datetime(6)", "int(10) unsigned"}
	vals := []string{"123456", "O00000000000000000123456", "req-123456", "4456", "paid", "234.56", "1.23", "233.33",
		"1", `{"city": "c7"}`, "", "app", "2026-11-15 08:30:00", "2026-11-15 08:00:00.123000",
		"2026-11-15 08:00:00.456000", "2026-11-15 08:00:00.456000", "1"}
	var cols []Column
	row := make([][]byte, len(typs))
	for i, typ := range typs {
		cols, row[i] = append(cols, col(b, fmt.Sprintf("c%d", i), typ)), []byte(vals[i])
	}
	row[10] = nil // remark is mostly NULL
	enc := newRowEncoder(cols)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%10000 == 0 { // a new chunk: the backfill encodes each chunk with its own encoder
			enc = newRowEncoder(cols)
		}
		if _, err := enc.encode(row); err != nil {
			b.Fatal(err)
		}
	}
}
