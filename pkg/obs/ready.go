package obs

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// ErrNoProgress is returned (wrapped) by Progress.Check when nothing was marked recently.
var ErrNoProgress = errors.New("no progress")

// Progress tracks when a component last made progress, for its /readyz. Mark it on every
// successful round trip with its upstream or downstream - including idle heartbeats, so that a
// quiet but healthy pipeline stays ready. Safe for concurrent use.
type Progress struct {
	what    string
	maxIdle time.Duration
	last    atomic.Int64 // unix nanoseconds of the last Mark; 0 = never
	now     func() time.Time
}

// NewProgress returns a tracker that is ready while what (for example "binlog stream") was
// marked within maxIdle. It is not ready until the first Mark.
func NewProgress(what string, maxIdle time.Duration) *Progress {
	return &Progress{what: what, maxIdle: maxIdle, now: time.Now}
}

// Mark records progress now.
func (p *Progress) Mark() { p.last.Store(p.now().UnixNano()) }

// Check returns nil if progress was marked within maxIdle, else an error wrapping ErrNoProgress
// that says for how long nothing happened.
func (p *Progress) Check() error {
	last := p.last.Load()
	if last == 0 {
		return fmt.Errorf("%s: %w yet", p.what, ErrNoProgress)
	}
	idle := p.now().Sub(time.Unix(0, last))
	if idle > p.maxIdle {
		return fmt.Errorf("%s: %w for %s (limit %s)", p.what, ErrNoProgress, idle.Round(time.Millisecond), p.maxIdle)
	}
	return nil
}

// AllReady combines ready functions: ready when every non-nil check returns nil; otherwise the
// errors of all failing checks, joined.
func AllReady(checks ...func() error) func() error {
	return func() error {
		var errs []error
		for _, c := range checks {
			if c == nil {
				continue
			}
			if err := c(); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}
