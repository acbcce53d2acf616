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
	var next atomic.Int64
	var mu sync.Mutex
	stats := BurstStats{Results: map[Result]int{}}
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < b.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[Result]int{}
			errs := 0
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(b.Buyers) {
					break
				}
				if at := start.Add(time.Duration(i) * b.Window / time.Duration(b.Buyers)); time.Until(at) > 0 {
					time.Sleep(time.Until(at))
				}
				user := b.FirstUser + uint64(i)
				r, err := g.Buy(ctx, b.SaleID, user, fmt.Sprintf("b%d", user))
				if err != nil {
					errs++
					continue
				}
				local[r]++
			}
			mu.Lock()
			defer mu.Unlock()
			for r, n := range local {
				stats.Results[r] += n
				stats.Requests += n
			}
			stats.Errors += errs
			stats.Requests += errs
		}()
	}
	wg.Wait()
	stats.Elapsed = time.Since(start)
	stats.Rate = float64(stats.Requests) / stats.Elapsed.Seconds()
	return stats, ctx.Err()
}
