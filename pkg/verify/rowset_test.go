package verify_test

import (
	"context"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// TestNoPrimaryKeyTableComparedAsSet: a source table without a primary key (with an identical
// duplicate row) and its copies as the sinks write them (one row per distinct row, keyed by
// digest) verify as equal; after the source gains a row and loses one, each copy reports one
// missing and one extra row.
func TestNoPrimaryKeyTableComparedAsSet(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE `" + f.srcDB + "`.np (a INT, b VARCHAR(10) NULL, c BLOB NULL)",
		"INSERT INTO `" + f.srcDB + "`.np VALUES (1, 'x', UNHEX('00FF')), (1, 'x', UNHEX('00FF')), (2, NULL, NULL), (3, '', NULL)",
	} {
		if _, err := f.src.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	tbl := &sink.Table{Database: f.srcDB, Name: "np", Columns: []sink.Column{
		{Name: "a", MySQLType: "int(11)"}, {Name: "b", MySQLType: "varchar(10)"}, {Name: "c", MySQLType: "blob"}}}
	rows := []sink.Row{
		sinktest.Row(tbl, sink.OpInsert, 5, map[string]string{"a": "1", "b": "x", "c": event.EncodeBytes([]byte{0, 0xff})}),
		sinktest.Row(tbl, sink.OpInsert, 6, map[string]string{"a": "1", "b": "x", "c": event.EncodeBytes([]byte{0, 0xff})}),
		sinktest.Row(tbl, sink.OpInsert, 7, map[string]string{"a": "2"}),
		sinktest.Row(tbl, sink.OpInsert, 8, map[string]string{"a": "3", "b": ""}),
	}
	ref := verify.TableRef{Database: f.srcDB, Name: "np"}
	for _, name := range []string{"mysql", "clickhouse"} {
		if err := f.sinkOf(name).Apply(ctx, &sink.Batch{Rows: rows}); err != nil {
			t.Fatalf("%s: apply: %v", name, err)
		}
		res := run(t, f, name, []verify.TableRef{ref}, nil, nil)[0]
		if !res.OK() || res.SourceRows != 3 || res.CopyRows != 3 {
			t.Fatalf("%s: ok=%v rows %d/%d diffs %v; want equal sets of 3 rows", name, res.OK(), res.SourceRows, res.CopyRows, diffStrings(res.Diffs))
		}
	}
	for _, q := range []string{"INSERT INTO `" + f.srcDB + "`.np VALUES (4, 'y', NULL)", "DELETE FROM `" + f.srcDB + "`.np WHERE a = 2"} {
		if _, err := f.src.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, name := range []string{"mysql", "clickhouse"} {
		res := run(t, f, name, []verify.TableRef{ref}, nil, nil)[0]
		kinds := map[verify.DiffKind]int{}
		for _, d := range res.Diffs {
			kinds[d.Kind]++
		}
		if len(res.Diffs) != 2 || kinds[verify.Missing] != 1 || kinds[verify.Extra] != 1 {
			t.Fatalf("%s: diffs %v; want one missing and one extra row", name, diffStrings(res.Diffs))
		}
	}
}
