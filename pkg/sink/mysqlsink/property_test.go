package mysqlsink

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
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
	cols := make([]string, len(table.Columns))
	for i, c := range table.Columns {
		cols[i] = quote(c.Name)
		if strings.HasPrefix(c.MySQLType, "bit") {
			cols[i] = "CAST(" + quote(c.Name) + " AS UNSIGNED)"
		}
	}
	rows, err := db.Query(fmt.Sprintf("SELECT %s FROM %s.%s", strings.Join(cols, ", "), quote(viewDB), quote(table.Name)))
	if err != nil {
		t.Fatalf("read view: %v", err)
	}
	defer rows.Close()
	out := map[string][]*string{}
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		vals := make([]*string, len(cols))
		for i, b := range raw {
			if b == nil {
				continue
			}
			s := string(b)
			ct, _ := event.ParseMySQLType(table.Columns[i].MySQLType)
			if ct.IsBinary() {
				s = event.EncodeBytes(b)
			}
			vals[i] = &s
		}
		out[sinktest.Key(table, vals)] = vals
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
