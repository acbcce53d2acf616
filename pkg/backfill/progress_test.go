package backfill

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		name              string
		rows, total       int64
		rate              float64
		done              bool
		want, wantMissing string
	}{
		{"half", 500, 1000, 100, false, "[###############...............]  50.0%  500/~1000 rows  100 rows/s  ETA 5s", ""},
		{"done beyond estimate", 1200, 1000, 100, true, "100.0%", "ETA 5s"},
		{"unknown total", 10, 0, 5, false, "0.0%  10/~0 rows", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := progressLine("db.t", tc.rows, tc.total, tc.rate, tc.done)
			if !strings.Contains(got, tc.want) || (tc.wantMissing != "" && strings.Contains(got, tc.wantMissing)) {
				t.Fatalf("progressLine = %q, want it to contain %q", got, tc.want)
			}
		})
	}
}

func TestProgressLogsWhenNotATerminal(t *testing.T) {
	var logs, out bytes.Buffer
	p := NewProgress(&out, slog.New(slog.NewTextHandler(&logs, nil)), time.Hour)
	p("db.t", 10, 100, time.Second, false)
	p("db.t", 20, 100, time.Second, false) // within `every`: no line
	p("db.t", 100, 100, time.Second, true)
	if out.Len() != 0 {
		t.Fatalf("drew a bar on a non-terminal: %q", out.String())
	}
	if n := strings.Count(logs.String(), "backfill progress"); n != 2 {
		t.Fatalf("logged %d progress lines, want 2 (first and final):\n%s", n, logs.String())
	}
}
