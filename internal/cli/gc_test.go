package cli

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestSetGC: the flags set the GC percentage and memory limit unless GOGC / GOMEMLIMIT are set
// (the environment wins) or the flag is 0 (Go's setting stays).
func TestSetGC(t *testing.T) {
	prevPct, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(prevPct); debug.SetMemoryLimit(prevLimit) })
	for _, tc := range []struct {
		name             string
		gogc, gomemlimit string
		limitMB, percent int
		wantPct          int
		wantLimit        int64
	}{
		{name: "flags", limitMB: 80, percent: 200, wantPct: 200, wantLimit: 80 << 20},
		{name: "zero keeps Go's", wantPct: 100, wantLimit: math.MaxInt64},
		{name: "env wins", gogc: "150", gomemlimit: "1GiB", limitMB: 80, percent: 200, wantPct: 100, wantLimit: math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			t.Setenv("GOGC", tc.gogc)
			t.Setenv("GOMEMLIMIT", tc.gomemlimit)
			SetGC(tc.limitMB, tc.percent)
			if got := debug.SetGCPercent(100); got != tc.wantPct {
				t.Errorf("GC percent = %d, want %d", got, tc.wantPct)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
				t.Errorf("memory limit = %d, want %d", got, tc.wantLimit)
			}
		})
	}
}
