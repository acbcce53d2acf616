// Package retry is the one backoff helper of Ferry's retry loops: an exponential delay with a cap,
// reset after progress, and a sleep that ends with the context.
//
//	b := retry.Backoff{First: 500 * time.Millisecond, Max: 30 * time.Second}
//	for {
//		err := try()
//		...
//		d := b.Next()
//		log.Warn("failed; retrying", "retry_in", d, "error", err)
//		if err := retry.Sleep(ctx, d); err != nil {
//			return err
//		}
//	}
package retry

import (
	"context"
	"time"
)

// Backoff yields First, then twice the previous delay, capped at Max (Max <= 0: no cap). The zero
// value yields 0 forever. Not safe for concurrent use: one per loop.
type Backoff struct {
	First, Max time.Duration
	next       time.Duration
}

// Next returns the delay to wait now and doubles the following one.
func (b *Backoff) Next() time.Duration {
	if b.next == 0 {
		b.next = b.First
	}
	d := b.next
	b.next *= 2
	if b.Max > 0 && b.next > b.Max {
		b.next = b.Max
	}
	if b.Max > 0 && d > b.Max {
		d = b.Max
	}
	return d
}

// Reset starts the sequence again at First (call it after progress).
func (b *Backoff) Reset() { b.next = 0 }

// Wait sleeps for Next(), or returns ctx's error if ctx ends first.
func (b *Backoff) Wait(ctx context.Context) error { return Sleep(ctx, b.Next()) }

// Sleep waits for d, or returns ctx's error if ctx ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
