package flashsale

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferry-cdc/ferry/internal/retry"
)

// Burst is the workload generator's flash-sale mode: Buyers distinct buyers (user ids
// FirstUser..FirstUser+Buyers-1, request id "b<user>") each send one buy request, spread evenly
// over Window, from Concurrency goroutines. A request that fails (the gate could not store the
// win and gave the unit back) is sent again with the same request id up to Retries times, as a
// buyer's app would; a negative Retries sends each request once.
type Burst struct {
	SaleID      uint64
	Buyers      int
	FirstUser   uint64
	Window      time.Duration
	Concurrency int
	Retries     int
}

// DefaultBurstRetries is how often a burst buyer re-sends a failed request when Burst.Retries is 0.
const DefaultBurstRetries = 3

// retryPause is the wait before a buyer's first re-send; it doubles on each further one.
const retryPause = 20 * time.Millisecond

// BurstStats counts the results of a burst. Requests and Results count buyers' final answers;
// Errors are requests that still failed after their retries, Retried the re-sends, and FirstError
// the first error seen (retried or not), for the operator.
type BurstStats struct {
	Requests   int            `json:"requests"`
	Results    map[Result]int `json:"results"`
	Errors     int            `json:"errors"`
	Retried    int            `json:"retried"`
	FirstError string         `json:"first_error,omitempty"`
	Elapsed    time.Duration  `json:"elapsed"`
	Rate       float64        `json:"requests_per_second"`
}

// Rejected returns the requests turned away by a sold-out flag (in process or in Redis).
func (s BurstStats) Rejected() int { return s.Results[SoldOut] + s.Results[SoldOutAtEdge] }

// Buyer is what a burst drives; *Gate implements it.
type Buyer interface {
	Buy(ctx context.Context, saleID, userID uint64, requestID string) (Result, error)
}

var _ Buyer = (*Gate)(nil)

// RunBurst sends the burst and returns its statistics.
func RunBurst(ctx context.Context, g Buyer, b Burst) (BurstStats, error) {
	if b.Buyers < 1 || b.Concurrency < 1 || b.Window < 0 {
		return BurstStats{}, fmt.Errorf("burst: need buyers >= 1, concurrency >= 1, window >= 0 (got %+v)", b)
	}
	if b.FirstUser == 0 {
		b.FirstUser = 1
	}
	if b.Retries == 0 {
		b.Retries = DefaultBurstRetries
	}
	r := &burstRun{b: b, g: g, start: time.Now(), stats: BurstStats{Results: map[Result]int{}}}
	var wg sync.WaitGroup
	for w := 0; w < b.Concurrency; w++ {
		wg.Add(1)
		go func() { defer wg.Done(); r.buyers(ctx) }()
	}
	wg.Wait()
	r.stats.Elapsed = time.Since(r.start)
	r.stats.Rate = float64(r.stats.Requests) / r.stats.Elapsed.Seconds()
	return r.stats, ctx.Err()
}

// burstRun is the state the burst's goroutines share.
type burstRun struct {
	b     Burst
	g     Buyer
	start time.Time
	next  atomic.Int64
	mu    sync.Mutex
	stats BurstStats
}

// buyers takes the next buyer index until all are done, each at its scheduled moment, and adds
// its local counts to the stats at the end (no lock per request).
func (r *burstRun) buyers(ctx context.Context) {
	local := map[Result]int{}
	errs, retried := 0, 0
	for ctx.Err() == nil {
		i := r.next.Add(1) - 1
		if i >= int64(r.b.Buyers) {
			break
		}
		if at := r.start.Add(time.Duration(i) * r.b.Window / time.Duration(r.b.Buyers)); time.Until(at) > 0 {
			time.Sleep(time.Until(at))
		}
		user := r.b.FirstUser + uint64(i)
		res, n, err := r.buy(ctx, user)
		retried += n
		if err != nil {
			errs++
			continue
		}
		local[res]++
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for res, n := range local {
		r.stats.Results[res] += n
		r.stats.Requests += n
	}
	r.stats.Errors += errs
	r.stats.Requests += errs
	r.stats.Retried += retried
}

// buy sends one buyer's request, re-sending it with the same request id after an error (up to
// Retries times), and returns the last answer and the number of re-sends.
func (r *burstRun) buy(ctx context.Context, user uint64) (Result, int, error) {
	reqID := fmt.Sprintf("b%d", user)
	pause := retry.Backoff{First: retryPause}
	for n := 0; ; n++ {
		res, err := r.g.Buy(ctx, r.b.SaleID, user, reqID)
		if err == nil {
			return res, n, nil
		}
		r.noteError(err)
		if n >= r.b.Retries || pause.Wait(ctx) != nil {
			return res, n, err
		}
	}
}

// noteError keeps the first error of the burst.
func (r *burstRun) noteError(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stats.FirstError == "" {
		r.stats.FirstError = err.Error()
	}
}
