package chsink

import (
	"context"
	"fmt"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestPropertyConverges delivers random histories with duplicates, reordering and replays in
// random batch sizes and checks that the FINAL view equals the source's final state. On
// servers without DateTime64 the expected DATETIME(3)/TIMESTAMP(3) values lose their
// milliseconds, as documented in schemas/clickhouse-types.md.
func TestPropertyConverges(t *testing.T) {
	s, copyDB, viewDB := openTestSink(t)
	t.Logf("clickhouse %s, features %+v", s.ServerVersion(), s.Features())
	cases := []sinktest.ConvergeCase{
		{Name: "few-keys-many-collisions", Seed: 1, Events: 500, Keys: 12, MaxBatch: 150},
		{Name: "many-keys", Seed: 2, Events: 1500, Keys: 400, MaxBatch: 300},
		{Name: "single-row-batches", Seed: 3, Events: 40, Keys: 10, MaxBatch: 1},
	}
	sinktest.RunConvergence(t, cases, s.Apply, func(ctx context.Context, t *testing.T, table *sink.Table, h sinktest.History) {
		want := h.Final
		if !s.Features().DateTime64 {
			want = sinktest.TruncateFractions(table, want)
		}
		got := readLive(t, s, viewDB, table)
		var tomb uint64
		q := fmt.Sprintf("SELECT count() FROM %s.%s FINAL WHERE _deleted = 1", quote(copyDB), quote(table.Name))
		if err := s.conn.QueryRow(ctx, q).Scan(&tomb); err != nil {
			t.Fatal(err)
		}
		sinktest.CheckConverged(t, copyDB, table, want, got, tomb)
	})
}
