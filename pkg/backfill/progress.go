package backfill

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
)

// NewProgress returns a ProgressFunc that draws a progress bar (rows, percentage, rate, ETA) on
// w when w is a terminal, and otherwise logs a line at most every `every` (and at the end).
func NewProgress(w io.Writer, log *slog.Logger, every time.Duration) ProgressFunc {
	p := &progress{w: w, log: log, every: every, tty: isTerminal(w)}
	return p.update
}

type progress struct {
	mu      sync.Mutex
	w       io.Writer
	log     *slog.Logger
	every   time.Duration
	tty     bool
	lastLog time.Time
}

func (p *progress) update(table string, rows, total int64, elapsed time.Duration, done bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rate := float64(rows) / max(elapsed.Seconds(), 1e-3)
	if p.tty {
		fmt.Fprint(p.w, "\r"+progressLine(table, rows, total, rate, done))
		if done {
			fmt.Fprintln(p.w)
		}
		return
	}
	if done || time.Since(p.lastLog) >= p.every {
		p.lastLog = time.Now()
		p.log.Info("backfill progress", "table", table, "rows", rows, "estimated_rows", total,
			"rows_per_second", int64(rate), "eta", eta(rows, total, rate).String(), "done", done)
	}
}

// progressLine renders "[#####.....]  45.1%  451000/~1000000 rows  52300 rows/s  ETA 10s".
func progressLine(table string, rows, total int64, rate float64, done bool) string {
	const width = 30
	frac := 0.0
	if total > 0 {
		frac = min(float64(rows)/float64(total), 1)
	}
	if done {
		frac = 1
	}
	filled := int(frac * width)
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	return fmt.Sprintf("%s [%s] %5.1f%%  %d/~%d rows  %.0f rows/s  ETA %s   ", table, bar, 100*frac, rows, total, rate, eta(rows, total, rate))
}

// eta estimates the remaining time from the row estimate (0 when unknown or past it).
func eta(rows, total int64, rate float64) time.Duration {
	if total <= rows || rate <= 0 {
		return 0
	}
	return (time.Duration(float64(total-rows)/rate) * time.Second).Round(time.Second)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
