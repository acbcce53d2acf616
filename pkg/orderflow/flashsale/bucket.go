package flashsale

import (
	"context"
	"sync"
	"time"
)

// Bucket is a token bucket: Rate tokens per second, at most Burst saved up. It caps the order
// inserts the workers make, whatever the request rate at the gate.
type Bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// NewBucket returns a bucket that starts with one token (not a full burst), so a burst of
// backlog right after start still stays near rate.
func NewBucket(rate float64, burst int) *Bucket {
	if burst < 1 {
		burst = 1
	}
	return &Bucket{rate: rate, burst: float64(burst), tokens: 1, last: time.Now()}
}

// reserve takes a token now or returns how long to wait for one.
func (b *Bucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens += now.Sub(b.last).Seconds() * b.rate
	b.last = now
	if b.tokens > b.burst {
		b.tokens = b.burst
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// Wait blocks until a token is taken or ctx ends.
func (b *Bucket) Wait(ctx context.Context) error {
	for {
		d := b.reserve(time.Now())
		if d == 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
