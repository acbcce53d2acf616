package difftest

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// mode is how much a run does.
type mode struct {
	short    bool
	rounds   int
	ops      int           // operations per round
	converge time.Duration // how long the copies may take to match after a round's workload
}

func modeFromEnv(t *testing.T) mode {
	switch os.Getenv("FERRY_DIFF") {
	case "", "short":
		return mode{short: true, rounds: 2, ops: 250, converge: 3 * time.Minute}
	case "full":
		m := mode{rounds: 100, ops: 300, converge: 5 * time.Minute}
		if v := os.Getenv("FERRY_DIFF_ROUNDS"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				t.Fatalf("FERRY_DIFF_ROUNDS=%q: want a positive number of rounds", v)
			}
			m.rounds = n
		}
		return m
	}
	t.Fatalf("FERRY_DIFF=%q: use short or full", os.Getenv("FERRY_DIFF"))
	return mode{}
}

// convergeFromEnv lets a replay wait less (or more) for the copies: FERRY_DIFF_CONVERGE=30s.
func convergeFromEnv(t *testing.T, m mode) mode {
	if v := os.Getenv("FERRY_DIFF_CONVERGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("FERRY_DIFF_CONVERGE=%q: %v (use a Go duration such as 30s)", v, err)
		}
		m.converge = d
	}
	return m
}

// TestDifferential runs seeded rounds of random schema, workload and faults through the real
// pipeline and requires both copies to equal the source value by value, up to the documented
// ClickHouse degradations.
func TestDifferential(t *testing.T) {
	m := convergeFromEnv(t, modeFromEnv(t))
	seed := time.Now().UnixNano() % 1_000_000_000
	if v := os.Getenv("FERRY_DIFF_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatalf("FERRY_DIFF_SEED=%q: %v", v, err)
		}
	}
	t.Logf("differential test seed %d, %d round(s) with seeds %d..%d (replay a round with FERRY_DIFF_SEED=<its seed>)",
		seed, m.rounds, seed, seed+int64(m.rounds)-1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(m.rounds)*(m.converge+5*time.Minute))
	defer cancel()
	start := time.Now()
	h := newHarness(ctx, t, testenv.Get(t))
	for i := range m.rounds {
		h.round(i, seed+int64(i), m)
	}
	tot := h.totals
	t.Logf("differential test: %d rounds, seeds %d..%d, %s, faults %v, operations %v, rows compared %d, "+
		"unexplained differences %d, explained differences %v",
		tot.rounds, seed, seed+int64(m.rounds)-1, time.Since(start).Round(time.Second), tot.faults, tot.ops, tot.rows,
		tot.diffs, tot.explained)
	if tot.rows == 0 {
		t.Fatal("no rows were compared")
	}
}
