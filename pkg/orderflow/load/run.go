package load

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is the outcome of a run.
type Stats struct {
	Requests  int64         `json:"requests"` // executed (ok + rejected + errors)
	OK        int64         `json:"ok"`
	Rejected  int64         `json:"rejected"` // business refusals (out of stock, state changed)
	Errors    int64         `json:"errors"`
	Writes    int64         `json:"writes"` // committed write operations (create/pay/cancel/refund)
	Shed      int64         `json:"shed"`   // scheduled requests no worker was free for
	ByOp      map[Op]int64  `json:"by_op"`
	Elapsed   time.Duration `json:"elapsed"`
	Rate      float64       `json:"requests_per_second"`
	WriteRate float64       `json:"writes_per_second"`
	PeakRate  float64       `json:"peak_requests_per_second"` // best progress interval
	FirstErr  string        `json:"first_error,omitempty"`
}

// counters are shared by the workers.
type counters struct {
	requests, ok, rejected, errors, writes atomic.Int64
	byOp                                   sync.Map // Op -> *atomic.Int64
	firstErr                               atomic.Value
}

func (c *counters) op(o Op) *atomic.Int64 {
	v, _ := c.byOp.LoadOrStore(o, new(atomic.Int64))
	return v.(*atomic.Int64)
}

// Run generates load against target (see Config); db is used to read the product ids (run
// `orderflow seed` or Seed first). It returns when the duration or count is reached or ctx ends.
func Run(ctx context.Context, db *sql.DB, target Target, cfg Config) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	products, err := productIDs(ctx, db)
	if err != nil {
		return Stats{}, err
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	var c counters
	start := time.Now()
	var p *pacer
	stop := make(chan struct{})
	if cfg.Rate > 0 {
		p = &pacer{cfg: cfg, tokens: make(chan struct{}, cfg.Workers)}
		go p.run(stop, start)
	}
	progressDone := make(chan Stats, 1)
	go func() { progressDone <- report(cfg, &c, p, start, stop) }()
	var wg sync.WaitGroup
	for i := 0; i < cfg.Workers; i++ {
		wg.Add(1)
		w := newWorker(cfg, i, products, target, &c)
		go func() { defer wg.Done(); w.loop(ctx, p) }()
	}
	wg.Wait()
	close(stop)
	peak := <-progressDone
	st := c.stats(time.Since(start))
	st.PeakRate = peak.PeakRate
	if p != nil {
		st.Shed = p.shed.Load()
	}
	return st, nil
}

func (c *counters) stats(el time.Duration) Stats {
	st := Stats{Requests: c.requests.Load(), OK: c.ok.Load(), Rejected: c.rejected.Load(), Errors: c.errors.Load(),
		Writes: c.writes.Load(), ByOp: map[Op]int64{}, Elapsed: el}
	c.byOp.Range(func(k, v any) bool { st.ByOp[k.(Op)] = v.(*atomic.Int64).Load(); return true })
	st.Rate = float64(st.Requests) / el.Seconds()
	st.WriteRate = float64(st.Writes) / el.Seconds()
	if e, ok := c.firstErr.Load().(string); ok {
		st.FirstErr = e
	}
	return st
}

// report prints a progress line every cfg.Progress (the target is the rate the pacer scheduled
// over the interval, 0 in the closed loop) and tracks the best interval's achieved rate.
func report(cfg Config, c *counters, p *pacer, start time.Time, stop <-chan struct{}) Stats {
	var best Stats
	if cfg.Progress <= 0 {
		<-stop
		return best
	}
	t := time.NewTicker(cfg.Progress)
	defer t.Stop()
	var last, lastSched int64
	lastAt := start
	for {
		select {
		case <-stop:
			return best
		case now := <-t.C:
			n, sched, secs := c.requests.Load(), int64(0), now.Sub(lastAt).Seconds()
			if p != nil {
				sched = p.scheduled.Load()
			}
			rate := float64(n-last) / secs
			best.PeakRate = max(best.PeakRate, rate)
			if cfg.Out != nil {
				fmt.Fprintf(cfg.Out, "t=%5.1fs target=%7.0f/s achieved=%7.0f/s total=%d writes=%d rejected=%d errors=%d\n",
					now.Sub(start).Seconds(), float64(sched-lastSched)/secs, rate, n, c.writes.Load(),
					c.rejected.Load(), c.errors.Load())
			}
			last, lastSched, lastAt = n, sched, now
		}
	}
}

func productIDs(ctx context.Context, db *sql.DB) ([]uint64, error) {
	// Products of flash sales are left alone: a sale's reconciliation assumes its product's
	// stock moves only through the sale.
	rows, err := db.QueryContext(ctx, `SELECT id FROM products WHERE status = 'on_sale' AND stock > 0
		AND id NOT IN (SELECT product_id FROM flash_sales) ORDER BY id LIMIT 100000`)
	if err != nil {
		return nil, fmt.Errorf("read product ids: %w", err)
	}
	defer rows.Close()
	var ids []uint64
	for rows.Next() {
		var id uint64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read product ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read product ids: %w", err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no product on sale with stock outside flash sales: run `orderflow seed` first")
	}
	return ids, nil
}

// seedFor derives worker i's random source from the run's seed.
func seedFor(seed int64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(i)+1))
}
