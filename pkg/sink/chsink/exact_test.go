package chsink

import (
	"context"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestYearColumnFromDDL creates a table with a width-less YEAR column through the DDL path (the
// TiDB parser prints it as "year(-1)") and applies rows in the tailer's shape (mysqlType "year").
func TestYearColumnFromDDL(t *testing.T) {
	s, copyDB, viewDB := openTestSink(t)
	ctx := context.Background()
	d := &sink.DDL{Database: "shop", Kind: "CREATE", Version: 1, Position: "mysql-bin.000001:1",
		SQL: "CREATE TABLE y (id INT PRIMARY KEY, y YEAR, y4 YEAR(4) NOT NULL)"}
	if err := s.ApplyDDL(ctx, d); err != nil {
		t.Fatalf("ApplyDDL: %v", err)
	}
	if got, want := describe(t, s, copyDB, "y"), "id Int32, y Nullable(UInt16), y4 Nullable(UInt16)"; got != want {
		t.Fatalf("copy table = %s, want %s", got, want)
	}
	tbl := &sink.Table{Database: "shop", Name: "y", PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "int(11)"}, {Name: "y", MySQLType: "year"}, {Name: "y4", MySQLType: "year"}}}
	if err := s.Apply(ctx, &sink.Batch{Rows: []sink.Row{
		sinktest.Row(tbl, sink.OpInsert, 2, map[string]string{"id": "1", "y": "2024", "y4": "1901"}),
		sinktest.Row(tbl, sink.OpInsert, 2, map[string]string{"id": "2", "y": "0000", "y4": "2155"}),
		sinktest.Row(tbl, sink.OpInsert, 2, map[string]string{"id": "3", "y4": "1999"}),
	}}); err != nil {
		t.Fatalf("apply rows: %v", err)
	}
	got := readLive(t, s, viewDB, tbl)
	want := map[string][]*string{}
	for _, r := range []sink.Row{
		sinktest.Row(tbl, sink.OpInsert, 2, map[string]string{"id": "1", "y": "2024", "y4": "1901"}),
		sinktest.Row(tbl, sink.OpInsert, 2, map[string]string{"id": "2", "y": "0", "y4": "2155"}),
		sinktest.Row(tbl, sink.OpInsert, 2, map[string]string{"id": "3", "y4": "1999"}),
	} {
		want[sinktest.Key(tbl, r.Values)] = r.Values
	}
	if diff := sinktest.Diff(tbl, want, got); diff != "" {
		t.Fatalf("copy differs:\n%s", diff)
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
