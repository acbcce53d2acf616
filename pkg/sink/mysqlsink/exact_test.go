package mysqlsink

import (
	"context"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestYearColumnFromDDL creates a table with a width-less YEAR column through the DDL path (the
// TiDB parser prints it as "year(-1)") and applies rows in the tailer's shape (mysqlType "year").
func TestYearColumnFromDDL(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	ctx := context.Background()
	d := &sink.DDL{Database: "shop", Kind: "CREATE", Version: 1, Position: "mysql-bin.000001:1",
		SQL: "CREATE TABLE y (id INT PRIMARY KEY, y YEAR)"}
	if err := s.ApplyDDL(ctx, d); err != nil {
		t.Fatalf("ApplyDDL: %v", err)
	}
	tbl := &sink.Table{Database: "shop", Name: "y", PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "int(11)"}, {Name: "y", MySQLType: "year"}}}
	rows := []sink.Row{
		sinktest.Row(tbl, sink.OpInsert, 2, map[string]string{"id": "1", "y": "2024"}),
		sinktest.Row(tbl, sink.OpInsert, 2, map[string]string{"id": "2", "y": "0000"}),
		sinktest.Row(tbl, sink.OpInsert, 2, map[string]string{"id": "3"}),
	}
	if err := s.Apply(ctx, &sink.Batch{Rows: rows}); err != nil {
		t.Fatalf("apply rows: %v", err)
	}
	got, err := sinktest.ReadMySQL(ctx, s.db, viewDB, tbl)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]*string{}
	for _, r := range rows {
		want[sinktest.Key(tbl, r.Values)] = r.Values
	}
	zero := "0" // the server sends YEAR 0 as "0" (the client pads it to 0000 by the ZEROFILL flag)
	want["2"][1] = &zero
	if diff := sinktest.Diff(tbl, want, got); diff != "" {
		t.Fatalf("copy differs:\n%s", diff)
	}
}

// TestAddColumnDefaultFillsExistingRows adds columns with and without DEFAULT, NULL and NOT NULL
// to a copy table that has rows: the existing rows must read as the source's do (the default,
// the implicit default of a NOT NULL column, NULL, the statement's time for CURRENT_TIMESTAMP).
func TestAddColumnDefaultFillsExistingRows(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	sinktest.RunAddColumnDefault(t, s.Apply, s.ApplyDDL, func(tbl *sink.Table) map[string][]*string {
		got, err := sinktest.ReadMySQL(context.Background(), s.db, viewDB, tbl)
		if err != nil {
			t.Fatal(err)
		}
		return got
	})
}

// TestPadSpaceKeyChangeKeepsRow applies the tailer's split of a key change from 'a' to 'a '
// (one key under the copy's PAD SPACE utf8mb4_bin) in both orders: with the INSERT half one
// version above the DELETE half (as the tailer publishes it) the copy ends with the row.
func TestPadSpaceKeyChangeKeepsRow(t *testing.T) {
	tbl := &sink.Table{Database: "shop", Name: "p", PK: []string{"k"}, Columns: []sink.Column{
		{Name: "k", MySQLType: "varchar(5)"}, {Name: "v", MySQLType: "int(11)"}}}
	for _, deleteFirst := range []bool{true, false} {
		t.Run(map[bool]string{true: "delete first", false: "insert first"}[deleteFirst], func(t *testing.T) {
			s, _, viewDB := openTestSink(t)
			ctx := context.Background()
			del := sinktest.Row(tbl, sink.OpDelete, 20, map[string]string{"k": "a", "v": "1"})
			ins := sinktest.Row(tbl, sink.OpInsert, 21, map[string]string{"k": "a ", "v": "2"})
			batches := [][]sink.Row{{sinktest.Row(tbl, sink.OpInsert, 10, map[string]string{"k": "a", "v": "1"})}, {del}, {ins}}
			if !deleteFirst {
				batches[1], batches[2] = batches[2], batches[1]
			}
			for _, b := range batches {
				if err := s.Apply(ctx, &sink.Batch{Rows: b}); err != nil {
					t.Fatal(err)
				}
			}
			var v int
			if err := s.db.QueryRowContext(ctx, "SELECT v FROM `"+viewDB+"`.p WHERE k = 'a'").Scan(&v); err != nil || v != 2 {
				t.Fatalf("row after the key change: v=%d err=%v; want the inserted row (v=2)", v, err)
			}
		})
	}
}

// TestAlterMissingTableHalts: an ALTER of a table the copy does not have halts.
func TestAlterMissingTableHalts(t *testing.T) {
	s, _, _ := openTestSink(t)
	sinktest.RunAlterMissingTable(t, s.ApplyDDL)
}
