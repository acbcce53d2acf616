package clickhouse

import (
	"context"
	"sync"
)

// contextWatchdog is a helper function to run a callback when the context is done.
// It has a cancellation function to prevent the callback from running.
// Useful for interrupting some logic when the context is done,
// but you want to not bother about context cancellation if your logic is already done.
// Example:
// stopCW := contextWatchdog(ctx, func() { /* do something */ })
// // do something else
// defer stopCW()
func contextWatchdog(ctx context.Context, callback func()) (cancel func()) {
	exit := make(chan struct{})
	// Ferry patch: the callback must never run once cancel has returned. Without the lock, a
	// watchdog goroutine that had not run yet when both channels became ready (cancel, then the
	// caller's context cancel, on a busy machine) could pick ctx.Done() and close a connection
	// already released to the pool, whose next user failed with "use of closed network
	// connection".
	var mu sync.Mutex
	stopped := false

	go func() {
		select {
		case <-exit:
			return
		case <-ctx.Done():
			mu.Lock()
			defer mu.Unlock()
			if !stopped {
				callback()
			}
			return
		}
	}()

	return func() {
		mu.Lock()
		stopped = true
		mu.Unlock()
		close(exit)
	}
}
