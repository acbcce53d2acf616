package chsink

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestStagedBatch checks a staged batch against the copy: rows added by several Adds are
// inserted by one Apply, and a batch holding a bad row fails whole: Add and Apply return
// ErrBadRow, later Adds are refused, and none of the batch's rows reach the copy.
func TestStagedBatch(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	ctx := context.Background()
	for i, tc := range []struct {
		name     string
		adds     [][]string // values of n per Add, ids numbered from 1
		wantErr  error
		wantLive int // rows in the copy afterwards, with the seed row
	}{
		{"two adds, one insert", [][]string{{"1"}, {"2", "3"}}, nil, 4},
		{"a bad row fails the batch", [][]string{{"1"}, {"300"}, {"3"}}, sink.ErrBadRow, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := &sink.Table{Database: "shop", Name: []string{"staged_ok", "staged_bad"}[i], PK: []string{"id"},
				Columns: []sink.Column{{Name: "id", MySQLType: "int(11)"}, {Name: "n", MySQLType: "tinyint(4)"}}}
			seed := sinktest.Row(tbl, sink.OpInsert, 1, map[string]string{"id": "0", "n": "0"})
			if err := s.Apply(ctx, &sink.Batch{Rows: []sink.Row{seed}}); err != nil {
				t.Fatal(err)
			}
			st := s.Stage()
			defer st.Release()
			id := 0
			var addErr error
			for _, ns := range tc.adds {
				var rows []sink.Row
				for _, n := range ns {
					id++
					rows = append(rows, sinktest.Row(tbl, sink.OpInsert, uint64(id+1), map[string]string{"id": strconv.Itoa(id), "n": n}))
				}
				if err := st.Add(ctx, rows); err != nil && addErr == nil {
					addErr = err
				}
			}
			if err := st.Apply(ctx); !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Apply: %v, want %v", err, tc.wantErr)
			}
			if !errors.Is(addErr, tc.wantErr) || (addErr == nil) != (tc.wantErr == nil) {
				t.Fatalf("Add: %v, want %v", addErr, tc.wantErr)
			}
			if got := len(readLive(t, s, viewDB, tbl)); got != tc.wantLive {
				t.Fatalf("copy holds %d live rows, want %d", got, tc.wantLive)
			}
		})
	}
}
