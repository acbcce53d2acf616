package mysqlsink

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestPlanReusedAndRebuiltAfterDDL checks that a table shape's plan is built once and reused
// by later batches, and that after ADD COLUMN the old shape gets a new plan and rows of the
// new shape land in the new column.
func TestPlanReusedAndRebuiltAfterDDL(t *testing.T) {
	s, copyDB, _ := openTestSink(t)
	ctx := context.Background()
	cols := []sink.Column{{Name: "id", MySQLType: "bigint(20) unsigned"}, {Name: "name", MySQLType: "varchar(20)"}}
	items := &sink.Table{Database: "shop", Name: "items", PK: []string{"id"}, Columns: cols}
	apply := func(t *testing.T, rows ...sink.Row) {
		t.Helper()
		if err := s.Apply(ctx, &sink.Batch{Rows: rows}); err != nil {
			t.Fatal(err)
		}
	}
	cached := func(t *sink.Table) *plan { p, _ := s.plans.Cached(t); return p }
	apply(t, sinktest.Row(items, sink.OpInsert, 10, map[string]string{"id": "1", "name": "a"}))
	first := cached(items)
	if first == nil {
		t.Fatal("no plan cached after the first batch")
	}
	apply(t, sinktest.Row(items, sink.OpInsert, 11, map[string]string{"id": "2", "name": "b"}))
	if cached(items) != first {
		t.Fatal("second batch of the same shape built a new plan")
	}
	if err := s.ApplyDDL(ctx, &sink.DDL{Database: "shop", Table: "items", Kind: "ALTER", Version: 20,
		SQL: "ALTER TABLE items ADD COLUMN note VARCHAR(32) NULL", Position: "mysql-bin.000001:20"}); err != nil {
		t.Fatal(err)
	}
	withNote := &sink.Table{Database: "shop", Name: "items", PK: []string{"id"},
		Columns: append(append([]sink.Column(nil), cols...), sink.Column{Name: "note", MySQLType: "varchar(32)"})}
	apply(t, sinktest.Row(items, sink.OpInsert, 30, map[string]string{"id": "3", "name": "c"}),
		sinktest.Row(withNote, sink.OpInsert, 31, map[string]string{"id": "4", "name": "d", "note": "new"}))
	if p := cached(items); p == nil || p == first {
		t.Fatal("the old shape's plan was not rebuilt after ADD COLUMN")
	}
	for id, want := range map[int]string{1: "<nil>", 3: "<nil>", 4: "new"} {
		var note sql.NullString
		if err := s.DB().QueryRowContext(ctx, fmt.Sprintf("SELECT note FROM %s.items WHERE id = ?", quote(copyDB)), id).Scan(&note); err != nil {
			t.Fatalf("id %d: %v", id, err)
		}
		got := "<nil>"
		if note.Valid {
			got = note.String
		}
		if got != want {
			t.Errorf("id %d: note = %s, want %s", id, got, want)
		}
	}
}
