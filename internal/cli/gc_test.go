package cli

import (
	"math"
	"runtime"
	"runtime/debug"
	"strings"
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

// TestSetProcs: max-procs sets GOMAXPROCS unless the environment sets it or it is 0; a negative
// value is refused with the setting's name.
func TestSetProcs(t *testing.T) {
	prev := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	for _, tc := range []struct {
		name    string
		env     string
		n, want int
		wantErr bool
	}{
		{name: "flag", n: 1, want: 1},
		{name: "zero keeps Go's", n: 0, want: 3},
		{name: "env wins", env: "3", n: 1, want: 3},
		{name: "negative", n: -1, want: 3, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GOMAXPROCS(3)
			t.Setenv("GOMAXPROCS", tc.env)
			err := SetProcs(tc.n)
			if (err != nil) != tc.wantErr || (err != nil && !strings.Contains(err.Error(), "max-procs")) {
				t.Fatalf("SetProcs(%d) error = %v, want error %v naming max-procs", tc.n, err, tc.wantErr)
			}
			if got := runtime.GOMAXPROCS(0); got != tc.want {
				t.Errorf("GOMAXPROCS = %d, want %d", got, tc.want)
			}
		})
	}
}
