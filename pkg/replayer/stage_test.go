package replayer

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// stagingSink is a fakeSink that stages: it records the rows of every Add as it happens and
// applies a staged batch as one Apply of the rows added to it.
type stagingSink struct {
	fakeSink
	failAdd  error // every Add fails with this
	addMu    sync.Mutex
	adds     []int // rows per Add, in call order
	released atomic.Int32
}

var _ sink.Stager = (*stagingSink)(nil)

func (f *stagingSink) Stage() sink.Staged { return &fakeStaged{f: f} }

func (f *stagingSink) addCounts() []int {
	f.addMu.Lock()
	defer f.addMu.Unlock()
	return append([]int(nil), f.adds...)
}

type fakeStaged struct {
	f    *stagingSink
	rows []sink.Row
	err  error
}

func (s *fakeStaged) Add(_ context.Context, rows []sink.Row) error {
	s.f.addMu.Lock()
	s.f.adds = append(s.f.adds, len(rows))
	s.f.addMu.Unlock()
	if s.err == nil {
		s.err = s.f.failAdd
	}
	if s.err != nil {
		return s.err
	}
	s.rows = append(s.rows, rows...)
	return nil
}

func (s *fakeStaged) Apply(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	return s.f.fakeSink.Apply(ctx, &sink.Batch{Rows: s.rows})
}

func (s *fakeStaged) Release() { s.f.released.Add(1) }

// TestBatcherStages checks the batcher with a staging sink: rows are handed to the staged batch
// when they are submitted (not at the flush), the batch is applied once and released, and a
// failed Add fails the batch for every submitter without a sink call.
func TestBatcherStages(t *testing.T) {
	for _, tc := range []struct {
		name        string
		failAdd     error
		wantBatches []int
		wantErr     error
	}{
		{"converted at submit, applied once", nil, []int{7}, nil},
		{"a failed Add fails the whole batch", sink.ErrBadRow, nil, sink.ErrBadRow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := &stagingSink{failAdd: tc.failAdd}
			b := newBatcher(fs, 100, 1<<20, time.Hour, NewMetrics(nil), "fake")
			b.flushWhenIdle = true
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			b.begin()
			r1 := b.submit(rowsN(3), 3)
			r2 := b.submit(rowsN(4), 4)
			if got := fs.addCounts(); len(got) != 2 || got[0] != 3 || got[1] != 4 {
				t.Fatalf("Adds before the flush = %v, want [3 4]", got)
			}
			go b.run(ctx)
			b.end() // group commit: flush now
			for _, r := range []*flushResult{r1, r2} {
				if err := r.Wait(context.Background()); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
					t.Fatalf("batch result %v, want %v", err, tc.wantErr)
				}
			}
			fs.mu.Lock()
			batches := append([]int(nil), fs.batches...)
			fs.mu.Unlock()
			if len(batches) != len(tc.wantBatches) || (len(batches) > 0 && batches[0] != tc.wantBatches[0]) {
				t.Fatalf("sink applied batches %v, want %v", batches, tc.wantBatches)
			}
			if n := fs.released.Load(); n != 1 {
				t.Fatalf("staged batches released %d times, want 1", n)
			}
		})
	}
}
