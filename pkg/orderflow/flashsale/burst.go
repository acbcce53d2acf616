package flashsale

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Burst is the workload generator's flash-sale mode: Buyers distinct buyers (user ids
// FirstUser..FirstUser+Buyers-1, request id "b<user>") each send one buy request, spread evenly
// over Window, from Concurrency goroutines.
type Burst struct {
	SaleID      uint64
	Buyers      int
	FirstUser   uint64
	Window      time.Duration
	Concurrency int
}

// BurstStats counts the results of a burst.
type BurstStats struct {
	Requests int            `json:"requests"`
	Results  map[Result]int `json:"results"`
	Errors   int            `json:"errors"`
	Elapsed  time.Duration  `json:"elapsed"`
	Rate     float64        `json:"requests_per_second"`
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
	errs := 0
	for ctx.Err() == nil {
		i := r.next.Add(1) - 1
		if i >= int64(r.b.Buyers) {
			break
		}
		if at := r.start.Add(time.Duration(i) * r.b.Window / time.Duration(r.b.Buyers)); time.Until(at) > 0 {
			time.Sleep(time.Until(at))
		}
		user := r.b.FirstUser + uint64(i)
		res, err := r.g.Buy(ctx, r.b.SaleID, user, fmt.Sprintf("b%d", user))
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
}
