package mysqlsink

import (
	"context"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestYearColumnFromDDL: a width-less YEAR column from CREATE TABLE (year(-1) in the parser).
// The server sends YEAR 0 as "0" (the client pads it to 0000 by the ZEROFILL flag).
func TestYearColumnFromDDL(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	sinktest.RunYearFromDDL(t, s.Apply, s.ApplyDDL, func(tbl *sink.Table) map[string][]*string { return readView(t, s, viewDB, tbl) }, "0")
}

// readView reads the live rows of a table shape from the view database.
func readView(t *testing.T, s *Sink, viewDB string, tbl *sink.Table) map[string][]*string {
	t.Helper()
	got, err := sinktest.ReadMySQL(context.Background(), s.db, viewDB, tbl)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestAddColumnDefaultFillsExistingRows adds columns with and without DEFAULT, NULL and NOT NULL
// to a copy table that has rows: the existing rows must read as the source's do (the default,
// the implicit default of a NOT NULL column, NULL, the statement's time for CURRENT_TIMESTAMP).
func TestAddColumnDefaultFillsExistingRows(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	sinktest.RunAddColumnDefault(t, s.Apply, s.ApplyDDL, func(tbl *sink.Table) map[string][]*string { return readView(t, s, viewDB, tbl) })
}

// TestPadSpaceKeyChangeKeepsRow applies the tailer's split of a key change from 'a' to 'a '
// in both orders: the copy ends with the row under its new key, 'a ' with its trailing space.
// (Copy keys were PAD SPACE utf8mb4_bin, where 'a' and 'a ' are one key: the row kept the old
// key text 'a'. Found by internal/difftest.)
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
			var k string
			var v, n int
			err := s.db.QueryRowContext(ctx, "SELECT MIN(k), MIN(v), COUNT(*) FROM `"+viewDB+"`.p").Scan(&k, &v, &n)
			if err != nil || n != 1 || k != "a " || v != 2 {
				t.Fatalf("rows after the key change: %d, key %q, v=%d, err=%v; want the inserted row ('a ', v=2) only", n, k, v, err)
			}
		})
	}
}

// TestAlterMissingTableHalts: an ALTER of a table the copy does not have halts.
func TestAlterMissingTableHalts(t *testing.T) {
	s, _, _ := openTestSink(t)
	sinktest.RunAlterMissingTable(t, s.ApplyDDL)
}

// TestNoPKTable: a table without a primary key is copied keyed by the digest of its values
// (inserts, an update, a delete of one of two rows, NULL vs the empty string, TEXT/BLOB, redelivery).
func TestNoPKTable(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	sinktest.RunNoPK(t, s.Apply, func(tbl *sink.Table) map[string][]*string { return readView(t, s, viewDB, tbl) })
}

// TestNoPKTableDDL: CREATE, RENAME COLUMN, TRUNCATE and RENAME TABLE of a table without a
// primary key work; ADD COLUMN halts with the fix.
func TestNoPKTableDDL(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	sinktest.RunNoPKDDL(t, s.Apply, s.ApplyDDL, func(tbl *sink.Table) map[string][]*string { return readView(t, s, viewDB, tbl) }, true)
}
