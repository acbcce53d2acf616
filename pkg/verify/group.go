package verify

import (
	"context"
	"sync"
)

// group runs functions concurrently, at most limit at a time (0 = unlimited), cancels its
// context at the first error and returns that error from Wait (a minimal errgroup, to avoid a
// new module dependency).
type group struct {
	wg     sync.WaitGroup
	sem    chan struct{}
	cancel context.CancelFunc
	once   sync.Once
	err    error
}

func newGroup(ctx context.Context, limit int) (*group, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	g := &group{cancel: cancel}
	if limit > 0 {
		g.sem = make(chan struct{}, limit)
	}
	return g, ctx
}

// Go runs f in a goroutine, blocking while limit functions are running.
func (g *group) Go(f func() error) {
	if g.sem != nil {
		g.sem <- struct{}{}
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if g.sem != nil {
			defer func() { <-g.sem }()
		}
		if err := f(); err != nil {
			g.once.Do(func() { g.err = err; g.cancel() })
		}
	}()
}

// Wait waits for all functions and returns the first error.
func (g *group) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}
