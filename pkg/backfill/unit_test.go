package backfill

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/event"
)

func col(t *testing.T, name, typ string) Column {
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

// TestRowEncoder checks that a row encoded into shared memory holds each column's encodeValue,
// NULLs included, and that later rows do not overwrite earlier ones.
func TestRowEncoder(t *testing.T) {
	typs := []string{"bit(8)", "varbinary(4)", "float", "double", "decimal(12,2)", "varchar(10)", "datetime(3)"}
	var cols []Column
	for i, typ := range typs {
		cols = append(cols, col(t, fmt.Sprintf("c%d", i), typ))
	}
	rows := [][]sql.RawBytes{
		{{0x05}, {0x00, 0xe9, 'a'}, []byte("1.1"), []byte("1e-7"), []byte("12.30"), []byte("abc"), []byte("2026-11-01 00:00:00.120")},
		{nil, {}, nil, []byte("2.5"), nil, []byte(""), nil},
		{{0xff}, nil, []byte("-0"), nil, []byte("-1.00"), nil, []byte("2026-11-01 00:00:00.000")},
	}
	enc := &rowEncoder{cols: cols}
	var got [][]*string
	for i := 0; i < 100; i++ { // enough rows to need new blocks
		for _, raw := range rows {
			row, err := enc.encode(raw)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, row)
		}
	}
	for i, row := range got {
		raw := rows[i%len(rows)]
		for j := range cols {
			want, err := encodeValue(&cols[j], raw[j])
			if err != nil {
				t.Fatal(err)
			}
			if (row[j] == nil) != (want == nil) || (want != nil && *row[j] != *want) {
				t.Fatalf("row %d column %s: %s, want %s", i, typs[j], deref(row[j]), deref(want))
			}
		}
	}
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
