package replayer

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// fakeSink records batch sizes and detects overlapping calls.
type fakeSink struct {
	mu      sync.Mutex
	batches []int
	err     error
	delay   time.Duration // per Apply; 0 = 5 ms
	busy    atomic.Bool
	overlap atomic.Bool
}

func (f *fakeSink) Apply(_ context.Context, b *sink.Batch) error {
	if !f.busy.CompareAndSwap(false, true) {
		f.overlap.Store(true)
	}
	defer f.busy.Store(false)
	time.Sleep(cmp.Or(f.delay, 5*time.Millisecond))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, len(b.Rows))
	return f.err
}
func (f *fakeSink) ApplyDDL(context.Context, *sink.DDL) error {
	if !f.busy.CompareAndSwap(false, true) {
		f.overlap.Store(true)
	}
	defer f.busy.Store(false)
	return nil
}
func (f *fakeSink) Close() error { return nil }

var _ sink.Sink = (*fakeSink)(nil)

func rowsN(n int) []sink.Row { return make([]sink.Row, n) }

func TestBatcherFlushTriggers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxRows  int
		maxBytes int
		interval time.Duration
		endAfter bool // the callback ends (stops submitting) after its rows
		eager    bool // flushWhenIdle
		submit   []int
		within   time.Duration
		want     []int
	}{
		{"rows cap", 10, 1 << 20, time.Hour, false, true, []int{6, 6}, time.Second, []int{12}},
		{"bytes cap", 1000, 100, time.Hour, false, true, []int{3}, time.Second, []int{3}},
		{"interval", 1000, 1 << 20, 50 * time.Millisecond, false, true, []int{2, 3}, time.Second, []int{5}},
		{"group commit when no callback submits", 1000, 1 << 20, time.Hour, true, true, []int{4}, time.Second, []int{4}},
		{"linger mode waits for the interval", 1000, 1 << 20, 300 * time.Millisecond, true, false, []int{4}, time.Second, []int{4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := &fakeSink{}
			b := newBatcher(fs, tc.maxRows, tc.maxBytes, tc.interval, NewMetrics(nil), "fake")
			b.flushWhenIdle = tc.eager
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go b.run(ctx)
			b.begin()
			var res *flushResult
			for _, n := range tc.submit {
				res = b.submit(rowsN(n), n*40)
			}
			if tc.endAfter {
				b.end()
			}
			if !tc.eager {
				early, cancelEarly := context.WithTimeout(context.Background(), tc.interval/3)
				err := res.Wait(early)
				cancelEarly()
				if err == nil {
					t.Fatal("linger mode flushed before the interval")
				}
			}
			wctx, wcancel := context.WithTimeout(context.Background(), tc.within)
			defer wcancel()
			if err := res.Wait(wctx); err != nil {
				t.Fatalf("batch not applied within %s: %v", tc.within, err)
			}
			fs.mu.Lock()
			defer fs.mu.Unlock()
			if len(fs.batches) != len(tc.want) || fs.batches[0] != tc.want[0] {
				t.Fatalf("batches = %v, want %v", fs.batches, tc.want)
			}
		})
	}
}

func TestBatcherErrorReachesEveryWaiter(t *testing.T) {
	fs := &fakeSink{err: errors.New("copy down")}
	b := newBatcher(fs, 1000, 1<<20, time.Hour, NewMetrics(nil), "fake")
	b.flushWhenIdle = true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.run(ctx)
	b.begin()
	r1 := b.submit(rowsN(1), 1)
	b.begin()
	r2 := b.submit(rowsN(1), 1)
	b.end()
	b.end()
	for i, r := range []*flushResult{r1, r2} {
		if err := r.Wait(context.Background()); err == nil || err.Error() != "copy down" {
			t.Fatalf("waiter %d got %v, want the sink's error", i, err)
		}
	}
}

func TestBatcherExclusiveDoesNotOverlap(t *testing.T) {
	fs := &fakeSink{}
	b := newBatcher(fs, 5, 1<<20, time.Millisecond, NewMetrics(nil), "fake")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.run(ctx)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 20 {
				b.begin()
				res := b.submit(rowsN(3), 3)
				b.end()
				_ = res.Wait(context.Background())
			}
		}()
		go func() {
			defer wg.Done()
			for range 5 {
				_ = b.exclusive(context.Background(), func() error { return fs.ApplyDDL(context.Background(), nil) })
			}
		}()
	}
	wg.Wait()
	if fs.overlap.Load() {
		t.Fatal("a DDL ran while a batch was being applied (or two batches overlapped)")
	}
}

// TestBatcherBoundsPendingRows submits from many callbacks that never wait for their results,
// into a slow sink: submit must block while a full batch waits, so no batch exceeds maxRows by
// more than one submission.
func TestBatcherBoundsPendingRows(t *testing.T) {
	fs := &fakeSink{}
	const maxRows, perSubmit = 10, 4
	b := newBatcher(fs, maxRows, 1<<20, time.Hour, NewMetrics(nil), "fake")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.run(ctx)
	var wg sync.WaitGroup
	results := make([][]*flushResult, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				results[i] = append(results[i], b.submit(rowsN(perSubmit), perSubmit))
			}
		}()
	}
	wg.Wait()
	b.poke() // the last partial batch
	for _, rs := range results {
		for _, r := range rs {
			if err := r.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	total := 0
	for _, n := range fs.batches {
		total += n
		if n > maxRows+perSubmit-1 {
			t.Fatalf("batch of %d rows: pending rows were not bounded (batches %v)", n, fs.batches)
		}
	}
	if total != 8*25*perSubmit {
		t.Fatalf("sink got %d rows, want %d", total, 8*25*perSubmit)
	}
}

// TestBatcherMinFlushGap checks the gap between sink calls of batches that are not full: the
// larger of minGap, the last apply time and the backlog's share of the interval, at most the
// interval, and never for a full batch.
func TestBatcherMinFlushGap(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		minGap, apply, intvl  time.Duration
		firstRows, secondRows int
		maxRows               int
		wantAtLeast, wantLess time.Duration // time from the first flush's end to the second flush's end
	}{
		{"no gap: pure group commit", 0, 5 * time.Millisecond, time.Hour, 1, 1, 100000, 0, 280 * time.Millisecond},
		{"min gap spaces small batches", 300 * time.Millisecond, 5 * time.Millisecond, 10 * time.Second, 1, 1, 100000, 290 * time.Millisecond, 800 * time.Millisecond},
		{"slow sink widens the gap", 50 * time.Millisecond, 250 * time.Millisecond, 10 * time.Second, 1, 1, 100000, 480 * time.Millisecond, 1200 * time.Millisecond},
		{"busy stream gets the interval", 50 * time.Millisecond, 5 * time.Millisecond, 600 * time.Millisecond, 10, 1, 100, 590 * time.Millisecond, 1400 * time.Millisecond},
		{"busy at busyRows whatever batch-rows", 50 * time.Millisecond, 5 * time.Millisecond, 600 * time.Millisecond, busyRows, 1, 1 << 30, 590 * time.Millisecond, 1400 * time.Millisecond},
		{"gap capped by the interval", 2 * time.Second, 5 * time.Millisecond, 400 * time.Millisecond, 1, 1, 100000, 390 * time.Millisecond, 1200 * time.Millisecond},
		{"a full batch does not wait", time.Hour, 5 * time.Millisecond, time.Hour, 1, 100, 100, 0, 300 * time.Millisecond},
		{"a backlog's rest goes once drained", time.Hour, 5 * time.Millisecond, time.Hour, 100, 1, 100, drainQuiet, drainQuiet + 300*time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := &fakeSink{delay: tc.apply}
			b := newBatcher(fs, tc.maxRows, 1<<30, tc.intvl, NewMetrics(nil), "fake")
			b.flushWhenIdle, b.minGap = true, tc.minGap
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go b.run(ctx)
			flushOnce := func(n int) time.Time {
				b.begin()
				res := b.submit(rowsN(n), n)
				b.end()
				wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := res.Wait(wctx); err != nil {
					t.Fatal(err)
				}
				return time.Now()
			}
			first := flushOnce(tc.firstRows)
			took := flushOnce(tc.secondRows).Sub(first)
			if took < tc.wantAtLeast || took >= tc.wantLess {
				t.Fatalf("second flush %s after the first, want in [%s, %s)", took, tc.wantAtLeast, tc.wantLess)
			}
		})
	}
}

// TestBatcherKeepsGapWhileBacklogFlows checks that after a full batch, rows that go on arriving
// (a backlog still being worked off, not its end) keep the gap: nothing is flushed while they
// arrive more often than drainQuiet, and the rest goes about drainQuiet after the last.
func TestBatcherKeepsGapWhileBacklogFlows(t *testing.T) {
	fs := &fakeSink{}
	b := newBatcher(fs, 100, 1<<30, time.Hour, NewMetrics(nil), "fake")
	b.flushWhenIdle, b.minGap = true, time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.run(ctx)
	submit := func(n int) *flushResult {
		b.begin()
		defer b.end()
		return b.submit(rowsN(n), n)
	}
	if err := submit(100).Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	var last *flushResult
	for i := 0; i < 20; i++ { // 200 ms of one row every 10 ms
		last = submit(1)
		time.Sleep(10 * time.Millisecond)
	}
	fs.mu.Lock()
	during := len(fs.batches)
	fs.mu.Unlock()
	if during != 1 {
		t.Fatalf("%d sink calls while rows kept arriving after the full batch, want 1 (the full batch)", during)
	}
	start := time.Now()
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	if err := last.Wait(wctx); err != nil {
		t.Fatalf("the backlog's rest: %v", err)
	}
	if took := time.Since(start); took > drainQuiet+300*time.Millisecond {
		t.Fatalf("the backlog's rest was applied %s after its last row, want about %s", took, drainQuiet)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.batches) != 2 || fs.batches[1] != 20 {
		t.Fatalf("sink calls %v, want [100 20]", fs.batches)
	}
}
