package sinktest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// NoPKTable is a source table without a primary key (published under the tailer's
// `no-pk-policy: all-columns`): text, BLOB and nullable columns.
func NoPKTable(database, name string) *sink.Table {
	return &sink.Table{Database: database, Name: name, Columns: []sink.Column{
		{Name: "a", MySQLType: "int(11)"}, {Name: "b", MySQLType: "varchar(20)"},
		{Name: "c", MySQLType: "text"}, {Name: "d", MySQLType: "blob"}}}
}

// noPKHistory is a history of NoPKTable in the tailer's form (an UPDATE is a DELETE of the
// old image and an INSERT of the new one a version above) and the source's final rows as a set.
func noPKHistory(tbl *sink.Table) ([][]sink.Row, map[string][]*string) {
	blob := event.EncodeBytes([]byte{0, 1, 0xff, '~', ':', 0x80})
	r1 := map[string]string{"a": "1", "b": "x", "c": strings.Repeat("long text ", 100), "d": blob}
	r2 := map[string]string{"a": "2", "b": ""}    // b '' and c, d NULL
	r3 := map[string]string{"a": "2"}             // b NULL: a different row than r2
	r4 := map[string]string{"a": "2", "b": "~"}   // '~' is neither NULL nor ''
	r5 := map[string]string{"a": "5", "c": "dup"} // inserted twice: one row in the copy (a set)
	r1u := map[string]string{"a": "1", "b": "x", "c": r1["c"], "d": event.EncodeBytes([]byte{0, 2})}
	row := func(op sink.Op, v uint64, kv map[string]string) sink.Row { return Row(tbl, op, v, kv) }
	batches := [][]sink.Row{
		{row(sink.OpInsert, 10, r1), row(sink.OpInsert, 11, r2), row(sink.OpInsert, 12, r3)},
		{row(sink.OpInsert, 13, r4), row(sink.OpInsert, 14, r5), row(sink.OpInsert, 15, r5)},
		{row(sink.OpDelete, 20, r1), row(sink.OpInsert, 21, r1u)}, // UPDATE d of r1
		{row(sink.OpDelete, 30, r2)}, // DELETE one of two rows with a = 2 and c NULL
	}
	final := map[string][]*string{}
	for _, kv := range []map[string]string{r1u, r3, r4, r5} {
		r := Row(tbl, sink.OpInsert, 0, kv)
		final[Key(tbl, r.Values)] = r.Values
	}
	return batches, final
}

// RunNoPK applies a history of a table without a primary key (inserts, an update, the delete of
// one of two different rows, NULL against the empty string against "~", TEXT and BLOB values, an identical
// duplicate), then all of it again in reverse batch order (redelivery), and checks with read
// (the live rows of a table shape by Key) after each pass that the copy holds the source's
// rows as a set.
func RunNoPK(t *testing.T, apply func(context.Context, *sink.Batch) error, read func(*sink.Table) map[string][]*string) {
	t.Helper()
	ctx := context.Background()
	tbl := NoPKTable("shop", "np")
	batches, want := noPKHistory(tbl)
	for pass, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}} {
		for _, i := range order {
			if err := apply(ctx, &sink.Batch{Rows: batches[i]}); err != nil {
				t.Fatalf("pass %d: apply batch %d: %v", pass, i, err)
			}
		}
		if diff := Diff(tbl, want, read(tbl)); diff != "" {
			t.Fatalf("pass %d: copy of the table without primary key differs:\n%s", pass, diff)
		}
	}
}

// RunNoPKDDL checks the DDL of a table without a primary key in a copy: CREATE TABLE through
// the DDL path gives a copy keyed by row digest; RENAME COLUMN (when the copy server has it:
// renameColumn) keeps every row's key (a later DELETE finds its row); ADD COLUMN halts naming the table and the fix and is not recorded
// (a repeat halts again); rows with a column set other than the copy's are refused; TRUNCATE
// and RENAME TABLE work.
func RunNoPKDDL(t *testing.T, apply func(context.Context, *sink.Batch) error, applyDDL func(context.Context, *sink.DDL) error,
	read func(*sink.Table) map[string][]*string, renameColumn bool) {
	t.Helper()
	ctx := context.Background()
	ddl := func(v uint64, kind, sql string) error {
		return applyDDL(ctx, &sink.DDL{Database: "shop", Kind: kind, Version: v, Position: "mysql-bin.000001:1", SQL: sql})
	}
	if err := ddl(1, "CREATE", "CREATE TABLE nd (a INT, b VARCHAR(20))"); err != nil {
		t.Fatalf("CREATE TABLE without primary key: %v", err)
	}
	tbl := &sink.Table{Database: "shop", Name: "nd", Columns: []sink.Column{{Name: "a", MySQLType: "int(11)"}, {Name: "b", MySQLType: "varchar(20)"}}}
	r1, r2 := map[string]string{"a": "1", "b": "x"}, map[string]string{"a": "2"}
	mustApply(t, apply, Row(tbl, sink.OpInsert, 2, r1), Row(tbl, sink.OpInsert, 3, r2))
	renamed, b := tbl, "b"
	if renameColumn {
		if err := ddl(4, "ALTER", "ALTER TABLE nd RENAME COLUMN b TO c"); err != nil {
			t.Fatalf("RENAME COLUMN: %v", err)
		}
		renamed, b = &sink.Table{Database: "shop", Name: "nd", Columns: []sink.Column{{Name: "a", MySQLType: "int(11)"}, {Name: "c", MySQLType: "varchar(20)"}}}, "c"
	}
	mustApply(t, apply, Row(renamed, sink.OpDelete, 5, map[string]string{"a": "1", b: "x"}))
	want := map[string][]*string{}
	r := Row(renamed, sink.OpInsert, 0, map[string]string{"a": "2"})
	want[Key(renamed, r.Values)] = r.Values
	if diff := Diff(renamed, want, read(renamed)); diff != "" {
		t.Fatalf("after RENAME COLUMN and a DELETE:\n%s", diff)
	}
	for i := 0; i < 2; i++ {
		err := ddl(6, "ALTER", "ALTER TABLE nd ADD COLUMN e INT DEFAULT 3")
		if !errors.Is(err, sink.ErrDDLHalt) || !strings.Contains(err.Error(), "nd") || !strings.Contains(err.Error(), "backfill") {
			t.Fatalf("ADD COLUMN on a copy keyed by row digest (try %d) = %v; want a halt naming the table and the fix", i+1, err)
		}
	}
	added := &sink.Table{Database: "shop", Name: "nd", Columns: append(append([]sink.Column(nil), renamed.Columns...), sink.Column{Name: "e", MySQLType: "int(11)"})}
	err := apply(ctx, &sink.Batch{Rows: []sink.Row{Row(added, sink.OpInsert, 7, map[string]string{"a": "3"})}})
	if !errors.Is(err, sink.ErrBadRow) || !strings.Contains(err.Error(), "backfill") {
		t.Fatalf("row with a column the copy lacks = %v; want ErrBadRow with the fix", err)
	}
	if err := ddl(8, "TRUNCATE", "TRUNCATE TABLE nd"); err != nil {
		t.Fatalf("TRUNCATE: %v", err)
	}
	mustApply(t, apply, Row(renamed, sink.OpInsert, 3, map[string]string{"a": "2"})) // replayed from before the TRUNCATE
	if got := read(renamed); len(got) != 0 {
		t.Fatalf("after TRUNCATE the copy has %d rows, want none", len(got))
	}
	if err := ddl(9, "RENAME", "RENAME TABLE nd TO nd2"); err != nil {
		t.Fatalf("RENAME TABLE: %v", err)
	}
	moved := &sink.Table{Database: "shop", Name: "nd2", Columns: renamed.Columns}
	mustApply(t, apply, Row(moved, sink.OpInsert, 10, map[string]string{"a": "4"}), Row(moved, sink.OpInsert, 11, map[string]string{"a": "5"}),
		Row(moved, sink.OpDelete, 12, map[string]string{"a": "4"}))
	r = Row(moved, sink.OpInsert, 0, map[string]string{"a": "5"})
	if diff := Diff(moved, map[string][]*string{Key(moved, r.Values): r.Values}, read(moved)); diff != "" {
		t.Fatalf("after RENAME TABLE:\n%s", diff)
	}
}

func mustApply(t *testing.T, apply func(context.Context, *sink.Batch) error, rows ...sink.Row) {
	t.Helper()
	if err := apply(context.Background(), &sink.Batch{Rows: rows}); err != nil {
		t.Fatalf("apply: %v", err)
	}
}
