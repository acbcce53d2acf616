package replayer

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// flushResult is shared by every submitter of one batch; done closes after the sink call.
type flushResult struct {
	done chan struct{}
	err  error
}

// Wait blocks until the batch containing the submitted rows was applied (or ctx ends).
func (f *flushResult) Wait(ctx context.Context) error {
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// batcher collects rows from all queues into shared batches and applies each batch with one
// sink call when it reaches maxRows or maxBytes, or flushInterval after its first row,
// whichever comes first - or, with flushWhenIdle, as soon as no queue is still submitting
// (group commit: rows that arrive while a batch is being applied form the next one, so batches
// grow with load and an idle pipeline does not wait for the interval). Two sink calls of
// batches that are not full are at least gap() apart (ClickHouse pays per insert). Queues do
// not wait for the commit to go on submitting; each queue's acker waits on its batches'
// results before acknowledging, so an offset is committed only after the sink committed its
// rows (docs/design.md section 3).
//
// Memory bound: submit blocks while the pending batch is already full (it waits for the flush
// that full batch triggered), so at most one full batch waits while another is applied, however
// many queues submit and however slow the sink is.
type batcher struct {
	sink              sink.Sink
	stager            sink.Stager // the sink, when it stages: rows are converted as they are submitted
	maxRows, maxBytes int
	interval          time.Duration
	flushWhenIdle     bool
	minGap            time.Duration // least time between two sink calls of batches that are not full
	metrics           *Metrics
	sinkName          string

	mu      sync.Mutex
	rows    []sink.Row  // the pending batch of a sink that does not stage
	staged  sink.Staged // the pending batch of a staging sink
	spare   []sink.Row  // the last applied batch's slice, emptied, for the next batch (under mu)
	n       int         // rows pending
	bytes   int
	current *flushResult
	timer   *time.Timer
	active  int // queues between begin and end
	kick    chan struct{}
	room    *sync.Cond // on mu: broadcast when a flush takes the pending rows

	applyMu sync.Mutex // one sink call at a time; DDL takes it exclusively too

	lastEnd    time.Time    // end of the last sink call (run goroutine only)
	lastApply  atomic.Int64 // its duration in nanoseconds (DDL flushes from other goroutines)
	lastRows   atomic.Int64 // its rows
	lastFull   atomic.Bool  // its batch was full (a backlog)
	lastSubmit time.Time    // when rows were last submitted (under mu)
}

func newBatcher(s sink.Sink, maxRows, maxBytes int, interval time.Duration, m *Metrics, sinkName string) *batcher {
	b := &batcher{sink: s, maxRows: maxRows, maxBytes: maxBytes, interval: interval, metrics: m,
		sinkName: sinkName, kick: make(chan struct{}, 1)}
	b.stager, _ = s.(sink.Stager)
	b.room = sync.NewCond(&b.mu)
	return b
}

// submit adds rows to the current batch and returns the batch's result. It blocks while the
// current batch is full (its flush is already triggered). A staging sink converts the rows
// here, so the caller need not keep them; a conversion error fails the whole batch, whose
// result then carries it (every submitter's messages are retried one by one).
func (b *batcher) submit(rows []sink.Row, size int) *flushResult {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.fullLocked() {
		b.room.Wait()
	}
	if b.current == nil {
		b.current = &flushResult{done: make(chan struct{})}
		b.timer = time.AfterFunc(b.interval, b.poke)
	}
	if b.stager == nil {
		b.rows = append(b.rows, rows...)
	} else {
		if b.staged == nil {
			b.staged = b.stager.Stage()
		}
		_ = b.staged.Add(context.Background(), rows) // reported by the staged batch's Apply
	}
	b.n += len(rows)
	b.bytes += size
	b.lastSubmit = time.Now()
	if b.fullLocked() {
		b.poke()
	}
	return b.current
}

// begin marks a queue as submitting rows; end marks it done for now. When the last
// submitting queue ends, the pending batch is flushed without waiting for the timer.
func (b *batcher) begin() {
	b.mu.Lock()
	b.active++
	b.mu.Unlock()
}

func (b *batcher) end() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active--
	if b.flushWhenIdle && b.active == 0 && b.n > 0 {
		b.poke()
	}
}

func (b *batcher) poke() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// run flushes batches until ctx ends, then flushes what is pending one last time.
func (b *batcher) run(ctx context.Context) {
	for {
		select {
		case <-b.kick:
			b.waitGap(ctx)
			b.flush(context.WithoutCancel(ctx))
			b.lastEnd = time.Now()
		case <-ctx.Done():
			b.flush(context.WithoutCancel(ctx))
			return
		}
	}
}

// busyRows caps the rows per flush at which the gap reaches the flush interval: what makes a
// stream busy does not change when batch-rows is raised for catch-ups.
const busyRows = 1000

// gap is the least time between two sink calls when the pending batch is not full. It is
// minGap while the stream is quiet; it grows with the backlog - in proportion to the last
// batch's rows, reaching the flush interval at a tenth of a full batch or busyRows, whichever
// is fewer - and with the last sink call's duration, but never past the flush interval. A quiet stream thus gets small
// batches every minGap (low lag), a busy one few, big batches (ClickHouse writes a part per
// insert and table: many small inserts under load starved a small machine's CPU). Between
// the two the gap feeds back on itself: below about maxRows/10 rows per flush interval it
// settles at minGap, above at the interval. A full batch never waits.
func (b *batcher) gap() time.Duration {
	if b.minGap <= 0 {
		return 0
	}
	g := max(b.minGap, time.Duration(b.lastApply.Load()))
	busy := time.Duration(float64(b.interval) * float64(b.lastRows.Load()) / float64(max(1, min(b.maxRows/10, busyRows))))
	return min(max(g, busy), b.interval)
}

// drainQuiet is how long no rows must have been submitted after a full batch for the pending
// rows to count as the end of the backlog (drained).
const drainQuiet = 50 * time.Millisecond

// waitGap delays a flush until gap has passed since the last one, unless the batch fills or the
// backlog has drained.
func (b *batcher) waitGap(ctx context.Context) {
	for {
		wait := time.Until(b.lastEnd.Add(b.gap()))
		if wait <= 0 || b.full() || b.drained() {
			return
		}
		if b.lastFull.Load() {
			wait = min(wait, drainQuiet)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-b.kick:
		case <-ctx.Done():
		}
		t.Stop()
		if ctx.Err() != nil {
			return
		}
	}
}

// drained reports whether the last batch was full and no rows have been submitted for
// drainQuiet since: a backlog (a catch-up, a backfill, a burst) has just been worked off and the
// pending rows are its rest. They go now rather than a gap later: the gap keeps a busy stream's
// inserts few, and the full batch before them already was one large insert, so the rest costs
// at most one more insert per full batch, while waiting would leave the copy up to the flush
// interval behind at the end of every backlog (500 ms for ClickHouse: a tenth of a 1M-row
// catch-up at 200k rows/s).
func (b *batcher) drained() bool {
	if !b.lastFull.Load() {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return time.Since(b.lastSubmit) >= drainQuiet
}

func (b *batcher) full() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fullLocked()
}

// fullLocked reports whether the pending batch reached a limit; the caller holds mu.
func (b *batcher) fullLocked() bool {
	return b.n >= b.maxRows || b.bytes >= b.maxBytes
}

// flush applies the pending batch, if any, and publishes the result to its waiters.
func (b *batcher) flush(ctx context.Context) {
	b.applyMu.Lock()
	defer b.applyMu.Unlock()
	b.mu.Lock()
	rows, staged, n, res := b.rows, b.staged, b.n, b.current
	full := b.fullLocked()
	b.rows, b.staged, b.n, b.bytes, b.current = b.spare, nil, 0, 0, nil
	b.spare = nil
	if b.timer != nil {
		b.timer.Stop()
	}
	b.room.Broadcast()
	b.mu.Unlock()
	if res == nil {
		return
	}
	start := time.Now()
	if staged != nil {
		res.err = staged.Apply(ctx)
		staged.Release()
	} else {
		res.err = b.sink.Apply(ctx, &sink.Batch{Rows: rows})
	}
	took := time.Since(start)
	b.lastApply.Store(int64(took))
	b.lastRows.Store(int64(n))
	b.lastFull.Store(full)
	b.metrics.observeBatch(b.sinkName, n, took, res.err)
	close(res.done)
	// Apply is done with the slice (a failed batch's messages are decoded again and applied one
	// by one), so it backs the next batch but one: no regrowing a batch-sized slice per flush.
	clear(rows)
	b.mu.Lock()
	b.spare = rows[:0]
	b.mu.Unlock()
}

// exclusive flushes pending rows and runs fn with no batch in flight (for DDL).
func (b *batcher) exclusive(ctx context.Context, fn func() error) error {
	b.flush(context.WithoutCancel(ctx)) // other queues wait on this batch: never cancel it
	b.applyMu.Lock()
	defer b.applyMu.Unlock()
	return fn()
}
