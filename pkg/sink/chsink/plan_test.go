package chsink

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// cachedPlan returns the sink's cached plan of t's shape (nil if none).
func cachedPlan(s *Sink, t *sink.Table) *plan {
	p, _ := s.plans.Cached(t)
	return p
}

// TestPlanReusedAndRebuiltAfterDDL checks that a table shape's plan is built once and reused
// by later batches, and that after ADD COLUMN the old shape gets a new plan for the changed
// copy and rows of the new shape land in the new column.
func TestPlanReusedAndRebuiltAfterDDL(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	ctx := context.Background()
	cols := []sink.Column{{Name: "id", MySQLType: "bigint(20) unsigned"}, {Name: "name", MySQLType: "varchar(20)"}}
	items := &sink.Table{Database: "shop", Name: "items", PK: []string{"id"}, Columns: cols}
	apply := func(t *testing.T, rows ...sink.Row) {
		t.Helper()
		if err := s.Apply(ctx, &sink.Batch{Rows: rows}); err != nil {
			t.Fatal(err)
		}
	}
	apply(t, sinktest.Row(items, sink.OpInsert, 10, map[string]string{"id": "1", "name": "a"}))
	first := cachedPlan(s, items)
	if first == nil {
		t.Fatal("no plan cached after the first batch")
	}
	// A new *sink.Table of the same shape (another message) must find the same plan.
	same := &sink.Table{Database: "shop", Name: "items", PK: []string{"id"}, Columns: append([]sink.Column(nil), cols...)}
	apply(t, sinktest.Row(same, sink.OpInsert, 11, map[string]string{"id": "2", "name": "b"}))
	if got := cachedPlan(s, items); got != first {
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
	rebuilt := cachedPlan(s, items)
	if rebuilt == nil || rebuilt == first {
		t.Fatal("the old shape's plan was not rebuilt after ADD COLUMN")
	}
	if p := cachedPlan(s, withNote); p == nil || len(p.cols) != 3 {
		t.Fatalf("plan of the new shape: %+v, want 3 columns", p)
	}
	got, err := sinktest.ReadClickHouse(ctx, s.conn, viewDB, withNote)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"1": "<nil>", "3": "<nil>", "4": "new"} {
		row, ok := got[key]
		if !ok {
			t.Fatalf("key %s missing from the copy: %v", key, got)
		}
		if note := fmt.Sprint(deref(row[2])); note != want {
			t.Errorf("key %s: note = %s, want %s", key, note, want)
		}
	}
}

// TestFailedWriteDropsPlan checks that a write failure drops the plan, so the next batch
// re-reads the copy.
func TestFailedWriteDropsPlan(t *testing.T) {
	s, _, _ := openTestSink(t)
	ctx := context.Background()
	tbl := &sink.Table{Database: "shop", Name: "t", PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "int(11)"}, {Name: "n", MySQLType: "tinyint(4)"}}}
	if err := s.Apply(ctx, &sink.Batch{Rows: []sink.Row{sinktest.Row(tbl, sink.OpInsert, 1, map[string]string{"id": "1", "n": "1"})}}); err != nil {
		t.Fatal(err)
	}
	err := s.Apply(ctx, &sink.Batch{Rows: []sink.Row{sinktest.Row(tbl, sink.OpInsert, 2, map[string]string{"id": "2", "n": "300"})}})
	if !errors.Is(err, sink.ErrBadRow) {
		t.Fatalf("out-of-range value: %v, want ErrBadRow", err)
	}
	if cachedPlan(s, tbl) != nil {
		t.Fatal("plan kept after a failed write")
	}
}

func deref(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}
