package sinktest

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// ConvergeCase is one case of a sink's convergence property test: a history of Events changes
// over at most Keys keys, generated from Seed and delivered in batches of 1..MaxBatch rows.
type ConvergeCase struct {
	Name                   string
	Seed                   uint64
	Events, Keys, MaxBatch int
}

// RunConvergence runs each case as a subtest with a 2-minute deadline on its own table
// src.prop_<name>: it generates the history, applies its adversarial delivery with apply and
// hands the table and the history to check, which compares the copy with the final state.
func RunConvergence(t *testing.T, cases []ConvergeCase, apply func(context.Context, *sink.Batch) error,
	check func(ctx context.Context, t *testing.T, table *sink.Table, h History)) {
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			rng := rand.New(rand.NewPCG(tc.Seed, 99))
			table := PropTable("src", "prop_"+strings.ReplaceAll(tc.Name, "-", "_"))
			h := Generate(rng, table, tc.Events, tc.Keys)
			for i, b := range Deliver(rng, h.Rows, tc.MaxBatch) {
				if err := apply(ctx, b); err != nil {
					t.Fatalf("apply batch %d: %v", i, err)
				}
			}
			check(ctx, t, table, h)
		})
	}
}

// CheckConverged fails t when got, the live rows read from copy database copyDB, differ from
// want, or when the history was degenerate: no live rows or no tombstones in the copy.
func CheckConverged(t testing.TB, copyDB string, table *sink.Table, want, got map[string][]*string, tombstones uint64) {
	t.Helper()
	if d := Diff(table, want, got); d != "" {
		t.Fatalf("copy %s.%s differs from source: %s", copyDB, table.Name, d)
	}
	if len(want) == 0 || tombstones == 0 {
		t.Fatalf("degenerate history: %d live rows, %d tombstones", len(want), tombstones)
	}
}
