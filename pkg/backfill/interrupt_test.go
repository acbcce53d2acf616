package backfill_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
)

// countingPublisher acknowledges every message at once and counts the rows.
type countingPublisher struct{ rows atomic.Int64 }

var _ backfill.Publisher = (*countingPublisher)(nil)

func (p *countingPublisher) Queues(context.Context) (int, error) { return 1, nil }

func (p *countingPublisher) Publish(_ context.Context, msgs []backfill.Outgoing) error {
	for _, o := range msgs {
		p.rows.Add(int64(o.Msg.NumRows()))
	}
	return nil
}

// TestInterruptedBackfillReportsIt cancels a backfill right after its first chunk, many times
// over: the cancellation can land while the reader waits to hand over the next chunk, and
// Table must then still report the interruption (it once returned nil, so a stopped
// `binlog-tailer backfill` exited 0 as if complete), and leave the checkpoint open for resume.
func TestInterruptedBackfillReportsIt(t *testing.T) {
	bs := backfilltest.NewOrderSource(t, 1000)
	src, table := bs.Src, bs.DB+".orders"
	for _, inFlight := range []int{1, 3} {
		for i := 0; i < 15; i++ {
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			cfg := backfill.DefaultConfig()
			cfg.CheckpointDir, cfg.ChunkRows, cfg.InFlight = dir, 100, inFlight
			progress := func(string, int64, int64, time.Duration, bool) { cancel() }
			b, err := backfill.New(cfg, src, &countingPublisher{}, nil, backfilltest.Logger(), progress)
			if err != nil {
				t.Fatal(err)
			}
			n, err := b.Table(ctx, table)
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("in-flight %d, try %d: Table = %d rows, %v; want context.Canceled", inFlight, i, n, err)
			}
			cp, err := backfill.LoadCheckpoint(dir, table)
			if err != nil || cp.Done || cp.Rows >= 1000 {
				t.Fatalf("in-flight %d, try %d: checkpoint %+v (%v); want an open one", inFlight, i, cp, err)
			}
		}
	}
}
