package mysqlsink

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestPropertyConverges delivers random histories with duplicates, reordering and replays in
// random batch sizes and checks that the copy's view equals the source's final state.
func TestPropertyConverges(t *testing.T) {
	s, copyDB, viewDB := openTestSink(t)
	for _, tc := range []struct {
		name     string
		seed     uint64
		events   int
		keys     int
		maxBatch int
	}{
		{"few-keys-many-collisions", 1, 600, 12, 40},
		{"many-keys", 2, 1500, 400, 300},
		{"single-row-batches", 3, 300, 30, 1},
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
			got := readLive(t, s.DB(), viewDB, table)
			if d := sinktest.Diff(table, h.Final, got); d != "" {
				t.Fatalf("copy %s.%s differs from source: %s", copyDB, table.Name, d)
			}
			var tomb int
			q := fmt.Sprintf("SELECT COUNT(*) FROM %s.%s WHERE _deleted = 1", quote(copyDB), quote(table.Name))
			if err := s.DB().QueryRowContext(ctx, q).Scan(&tomb); err != nil {
				t.Fatal(err)
			}
			if len(h.Final) == 0 || tomb == 0 {
				t.Fatalf("degenerate history: %d live rows, %d tombstones", len(h.Final), tomb)
			}
		})
	}
}

// readLive reads a view into canonical event strings by key.
func readLive(t *testing.T, db *sql.DB, viewDB string, table *sink.Table) map[string][]*string {
	t.Helper()
	got, err := sinktest.ReadMySQL(context.Background(), db, viewDB, table)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
