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
	cached := func(t *sink.Table) any {
		if p := cachedPlan(s, t); p != nil {
			return p
		}
		return nil
	}
	sinktest.CheckPlanReuse(t, s.Apply, s.ApplyDDL, cached, func(t *testing.T, table *sink.Table) map[string]string {
		rows := readLive(t, s, viewDB, table)
		got := map[string]string{}
		for key, vals := range rows {
			got[key] = fmt.Sprint(deref(vals[2]))
		}
		return got
	})
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
