package mysqlsink

import (
	"context"
	"database/sql"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestPlanReusedAndRebuiltAfterDDL checks that a table shape's plan is built once and reused
// by later batches, and that after ADD COLUMN the old shape gets a new plan and rows of the
// new shape land in the new column.
func TestPlanReusedAndRebuiltAfterDDL(t *testing.T) {
	s, copyDB, _ := openTestSink(t)
	cached := func(t *sink.Table) any {
		if p, ok := s.plans.Cached(t); ok {
			return p
		}
		return nil
	}
	sinktest.CheckPlanReuse(t, s.Apply, s.ApplyDDL, cached, func(t *testing.T, _ *sink.Table) map[string]string {
		rows, err := s.DB().QueryContext(context.Background(), "SELECT id, note FROM "+quote(copyDB)+".items")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]string{}
		for rows.Next() {
			var id string
			var note sql.NullString
			if err := rows.Scan(&id, &note); err != nil {
				t.Fatal(err)
			}
			got[id] = "<nil>"
			if note.Valid {
				got[id] = note.String
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return got
	})
}
