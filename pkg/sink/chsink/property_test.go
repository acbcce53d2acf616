package chsink

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestPropertyConverges delivers random histories with duplicates, reordering and replays in
// random batch sizes and checks that the FINAL view equals the source's final state. On
// servers without DateTime64 the expected DATETIME(3)/TIMESTAMP(3) values lose their
// milliseconds, as documented in schemas/clickhouse-types.md.
func TestPropertyConverges(t *testing.T) {
	s, copyDB, viewDB := openTestSink(t)
	t.Logf("clickhouse %s, features %+v", s.ServerVersion(), s.Features())
	for _, tc := range []struct {
		name     string
		seed     uint64
		events   int
		keys     int
		maxBatch int
	}{
		{"few-keys-many-collisions", 1, 500, 12, 150},
		{"many-keys", 2, 1500, 400, 300},
		{"single-row-batches", 3, 40, 10, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			rng := rand.New(rand.NewPCG(tc.seed, 99))
			table := sinktest.PropTable("src", "prop_"+strings.ReplaceAll(tc.name, "-", "_"))
			h := sinktest.Generate(rng, table, tc.events, tc.keys)
			for i, b := range sinktest.Deliver(rng, h.Rows, tc.maxBatch) {
				if err := s.Apply(ctx, b); err != nil {
					t.Fatalf("apply batch %d: %v", i, err)
				}
			}
			want := h.Final
			if !s.Features().DateTime64 {
				want = sinktest.TruncateFractions(table, want)
			}
			got := readLive(t, s, viewDB, table)
			if d := sinktest.Diff(table, want, got); d != "" {
				t.Fatalf("copy %s.%s differs from source: %s", copyDB, table.Name, d)
			}
			var tomb uint64
			q := fmt.Sprintf("SELECT count() FROM %s.%s FINAL WHERE _deleted = 1", quote(copyDB), quote(table.Name))
			if err := s.conn.QueryRow(ctx, q).Scan(&tomb); err != nil {
				t.Fatal(err)
			}
			if len(h.Final) == 0 || tomb == 0 {
				t.Fatalf("degenerate history: %d live rows, %d tombstones", len(h.Final), tomb)
			}
		})
	}
}
