package chsink

import (
	"context"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestYearColumnFromDDL: a width-less YEAR column from CREATE TABLE (year(-1) in the parser).
func TestYearColumnFromDDL(t *testing.T) {
	s, copyDB, viewDB := openTestSink(t)
	read := func(tbl *sink.Table) map[string][]*string { return readLive(t, s, viewDB, tbl) }
	sinktest.RunYearFromDDL(t, s.Apply, s.ApplyDDL, read, "0")
	if got, want := describe(t, s, copyDB, "y"), "id Int32, y Nullable(UInt16), y4 Nullable(UInt16)"; got != want {
		t.Fatalf("copy table = %s, want %s", got, want)
	}
}

// TestAddColumnDefaultFillsExistingRows adds columns with and without DEFAULT, NULL and NOT NULL
// to a copy table that has rows: the existing rows must read as the source's do (the default,
// the implicit default of a NOT NULL column, NULL, the statement's time for CURRENT_TIMESTAMP).
func TestAddColumnDefaultFillsExistingRows(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	sinktest.RunAddColumnDefault(t, s.Apply, s.ApplyDDL, func(tbl *sink.Table) map[string][]*string { return readLive(t, s, viewDB, tbl) })
}

// TestAlterMissingTableHalts: an ALTER of a table the copy does not have halts.
func TestAlterMissingTableHalts(t *testing.T) {
	s, _, _ := openTestSink(t)
	sinktest.RunAlterMissingTable(t, s.ApplyDDL)
}

// TestDateKeysBefore1970StayDistinct: DATE and DATETIME key values that no ClickHouse date type
// of the server holds (before 1970 on 18.16, the zero date everywhere) must not be clamped into
// one key, which would merge distinct source rows.
func TestDateKeysBefore1970StayDistinct(t *testing.T) {
	s, copyDB, viewDB := openTestSink(t)
	ctx := context.Background()
	tbl := &sink.Table{Database: "shop", Name: "days", PK: []string{"d", "at"}, Columns: []sink.Column{
		{Name: "d", MySQLType: "date"}, {Name: "at", MySQLType: "datetime"}, {Name: "v", MySQLType: "int(11)"}}}
	values := []map[string]string{
		{"d": "1960-01-01", "at": "1960-01-01 10:00:00", "v": "1"},
		{"d": "1969-12-31", "at": "1969-12-31 23:59:59", "v": "2"},
		{"d": "0000-00-00", "at": "0000-00-00 00:00:00", "v": "3"},
		{"d": "1970-01-01", "at": "1970-01-01 00:00:00", "v": "4"},
		{"d": "2024-02-29", "at": "2024-02-29 12:00:00", "v": "5"},
	}
	var rows []sink.Row
	want := map[string][]*string{}
	for _, kv := range values {
		r := sinktest.Row(tbl, sink.OpInsert, 7, kv)
		rows = append(rows, r)
		want[sinktest.Key(tbl, r.Values)] = r.Values
	}
	if err := s.Apply(ctx, &sink.Batch{Rows: rows}); err != nil {
		t.Fatal(err)
	}
	if got := describe(t, s, copyDB, "days"); !strings.HasPrefix(got, "d String, at String, v Nullable(Int32)") {
		t.Fatalf("copy table = %s; want String keys", got)
	}
	if diff := sinktest.Diff(tbl, want, readLive(t, s, viewDB, tbl)); diff != "" {
		t.Fatalf("copy differs:\n%s", diff)
	}
}

// TestNoPKTable: a table without a primary key is copied keyed by the digest of its values
// (inserts, an update, a delete of one of two rows, NULL vs the empty string, TEXT/BLOB, redelivery).
func TestNoPKTable(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	sinktest.RunNoPK(t, s.Apply, func(tbl *sink.Table) map[string][]*string { return readLive(t, s, viewDB, tbl) })
}

// TestNoPKTableDDL: CREATE, RENAME COLUMN (20.4+), TRUNCATE and RENAME TABLE of a table without
// a primary key work; ADD COLUMN halts with the fix.
func TestNoPKTableDDL(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	sinktest.RunNoPKDDL(t, s.Apply, s.ApplyDDL, func(tbl *sink.Table) map[string][]*string { return readLive(t, s, viewDB, tbl) }, s.features.RenameColumn)
}
