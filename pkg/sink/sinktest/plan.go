package sinktest

import (
	"context"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// CheckPlanReuse is a sink's test of its plan cache on table shop.items: a shape's plan is
// built once and reused by later batches (also for another *sink.Table of the same shape);
// after ALTER TABLE ADD COLUMN note the old shape gets a new plan and rows of both shapes
// land. cached returns the sink's cached plan of a shape (nil if none); notes reads the
// copy's note column by id ("<nil>" for NULL).
func CheckPlanReuse(t *testing.T, apply func(context.Context, *sink.Batch) error, applyDDL func(context.Context, *sink.DDL) error,
	cached func(*sink.Table) any, notes func(t *testing.T, table *sink.Table) map[string]string) {
	ctx := context.Background()
	shape := func(extra ...sink.Column) *sink.Table {
		cols := []sink.Column{{Name: "id", MySQLType: "bigint(20) unsigned"}, {Name: "name", MySQLType: "varchar(20)"}}
		return &sink.Table{Database: "shop", Name: "items", PK: []string{"id"}, Columns: append(cols, extra...)}
	}
	items, same := shape(), shape()
	write := func(rows ...sink.Row) {
		t.Helper()
		if err := apply(ctx, &sink.Batch{Rows: rows}); err != nil {
			t.Fatal(err)
		}
	}
	write(Row(items, sink.OpInsert, 10, map[string]string{"id": "1", "name": "a"}))
	first := cached(items)
	if first == nil {
		t.Fatal("no plan cached after the first batch")
	}
	write(Row(same, sink.OpInsert, 11, map[string]string{"id": "2", "name": "b"}))
	if cached(items) != first {
		t.Fatal("second batch of the same shape built a new plan")
	}
	if err := applyDDL(ctx, &sink.DDL{Database: "shop", Table: "items", Kind: "ALTER", Version: 20,
		SQL: "ALTER TABLE items ADD COLUMN note VARCHAR(32) NULL", Position: "mysql-bin.000001:20"}); err != nil {
		t.Fatal(err)
	}
	withNote := shape(sink.Column{Name: "note", MySQLType: "varchar(32)"})
	write(Row(items, sink.OpInsert, 30, map[string]string{"id": "3", "name": "c"}),
		Row(withNote, sink.OpInsert, 31, map[string]string{"id": "4", "name": "d", "note": "new"}))
	if p := cached(items); p == nil || p == first {
		t.Fatal("the old shape's plan was not rebuilt after ADD COLUMN")
	}
	got := notes(t, withNote)
	for id, want := range map[string]string{"1": "<nil>", "2": "<nil>", "3": "<nil>", "4": "new"} {
		if got[id] != want {
			t.Errorf("id %s: note = %q, want %q (copy: %v)", id, got[id], want, got)
		}
	}
}
