package replayer

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestHandleSettlesFullBatches hands one callback many messages: the callback must settle each
// time its unsettled rows fill a batch (so rows in flight stay bounded), not wait for the flush
// interval, and apply every row exactly once.
func TestHandleSettlesFullBatches(t *testing.T) {
	for _, tc := range []struct {
		name               string
		msgs, perMsg, rows int           // messages in the callback, rows per message, BatchRows
		interval           time.Duration // linger flush interval; an hour means only full batches flush
		wantBatches        int
	}{
		{"one batch when under the limit", 10, 2, 100, 50 * time.Millisecond, 1},
		{"settles at every full batch", 30, 2, 10, time.Hour, 6},
		{"a message larger than the batch", 4, 25, 10, time.Hour, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Group, cfg.BatchRows = "unused", tc.rows
			cfg.FlushInterval, cfg.FlushWhenIdle = tc.interval, false
			fs := &fakeSink{}
			r, err := New(cfg, fs, "fake", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go r.batcher.run(ctx)
			msgs := callbackMessages(t, tc.msgs, tc.perMsg)
			done := make(chan error, 1)
			go func() { done <- r.handle(ctx, msgs) }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("handle waited for the flush interval instead of settling full batches")
			}
			assertBatches(t, fs, tc.msgs*tc.perMsg, tc.wantBatches)
		})
	}
}

// callbackMessages encodes n insert messages of perMsg distinct rows each.
func callbackMessages(t *testing.T, n, perMsg int) []*primitive.MessageExt {
	rng := rand.New(rand.NewPCG(5, 9))
	table := sinktest.OrdersTable("src", "settle")
	rows := sinktest.OrderRows(rng, table, 1, n*perMsg)
	var out []*primitive.MessageExt
	for i := 0; i < n; i++ {
		body, err := event.Encode(chunkMessage(rows[i*perMsg:(i+1)*perMsg], int64(i)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &primitive.MessageExt{Message: primitive.Message{Topic: "t", Body: body}, QueueOffset: int64(i)})
	}
	return out
}

// assertBatches checks that the sink got every row once, in wantBatches sink calls.
func assertBatches(t *testing.T, fs *fakeSink, wantRows, wantBatches int) {
	t.Helper()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	total := 0
	for _, n := range fs.batches {
		total += n
	}
	if total != wantRows || len(fs.batches) != wantBatches {
		t.Fatalf("sink got %d rows in batches %v; want %d rows in %d batches", total, fs.batches, wantRows, wantBatches)
	}
}
