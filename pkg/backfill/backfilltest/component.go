package backfilltest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// deaths maps a test to the context cancelled when one of its components stops on its own.
var deaths sync.Map // testing.TB -> *death

type death struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// deathOf returns t's death record, creating it (and its cleanup) on first use.
func deathOf(t testing.TB) *death {
	if d, ok := deaths.Load(t); ok {
		return d.(*death)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	d, loaded := deaths.LoadOrStore(t, &death{ctx: ctx, cancel: cancel})
	if !loaded {
		t.Cleanup(func() { cancel(nil); deaths.Delete(t) })
	}
	return d.(*death)
}

// Context returns a context that is cancelled, with the cause, as soon as a tailer or replayer
// this package started for t stops on its own (a halt, a crash): a waiting test such as a
// verification with re-checks ends at once instead of re-checking a copy that can no longer
// converge.
func Context(t testing.TB) context.Context { return deathOf(t).ctx }

// component is a pipeline stage (tailer or replayer) running in the background for a test.
type component struct {
	t       testing.TB
	name    string
	cancel  context.CancelFunc
	exited  chan struct{}
	mu      sync.Mutex
	stopped bool
	err     error
}

// startComponent runs run in the background until stop. If run returns before stop was
// called, the test fails at once with the stage's error and Context(t) is cancelled.
func startComponent(t testing.TB, name string, run func(ctx context.Context) error) *component {
	ctx, cancel := context.WithCancel(context.Background())
	c := &component{t: t, name: name, cancel: cancel, exited: make(chan struct{})}
	d := deathOf(t)
	go func() {
		err := run(ctx)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.err = err
		if !c.stopped {
			c.t.Errorf("%s stopped on its own: %v", name, err)
			d.cancel(fmt.Errorf("%s stopped on its own: %w", name, err))
		}
		close(c.exited)
	}()
	return c
}

// stop cancels the stage and returns its error, waiting at most timeout (0: no limit).
func (c *component) stop(timeout time.Duration) error {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	c.cancel()
	var limit <-chan time.Time
	if timeout > 0 {
		limit = time.After(timeout)
	}
	select {
	case <-c.exited:
	case <-limit:
		return fmt.Errorf("%s did not stop within %s", c.name, timeout)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
