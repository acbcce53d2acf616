package replayer

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestLaneConsumesAheadAndAcksAfterCommit feeds one lane requests while the sink is slow: the
// lane must submit later requests before earlier batches commit (consume ahead: fewer sink
// calls than requests), acknowledge each request only after the sink committed its rows, in
// order, and apply every row exactly once.
func TestLaneConsumesAheadAndAcksAfterCommit(t *testing.T) {
	for _, tc := range []struct {
		name               string
		reqs, msgs, perMsg int // requests, messages per request, rows per message
		batchRows          int
		ahead              bool // expect fewer sink calls than requests
	}{
		{"small messages", 20, 4, 2, 5000, true},
		{"full batches", 10, 5, 10, 30, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Group, cfg.BatchRows = "unused", tc.batchRows
			cfg.FlushInterval, cfg.FlushWhenIdle = time.Hour, true
			fs := &fakeSink{delay: 100 * time.Millisecond}
			r, err := New(cfg, fs, "fake", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go r.batcher.run(ctx)
			l := newLane(r, primitive.MessageQueue{Topic: "t", QueueId: 0})
			go l.work(ctx)
			go l.ack(ctx)
			msgs := callbackMessages(t, tc.reqs*tc.msgs, tc.perMsg)
			var acked atomic.Int64
			ackedAt := make([]int, tc.reqs) // sink calls finished when each request was acknowledged
			for i := range tc.reqs {
				l.push(&request{msgs: msgs[i*tc.msgs : (i+1)*tc.msgs], dropped: func() bool { return false },
					ack: func() {
						fs.mu.Lock()
						ackedAt[i] = rowsIn(fs.batches)
						fs.mu.Unlock()
						if acked.Add(1) != int64(i+1) {
							t.Errorf("request %d acknowledged out of order", i)
						}
					}})
			}
			deadline := time.Now().Add(10 * time.Second)
			for acked.Load() < int64(tc.reqs) {
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d requests acknowledged", acked.Load(), tc.reqs)
				}
				time.Sleep(5 * time.Millisecond)
			}
			for i, n := range ackedAt {
				if need := (i + 1) * tc.msgs * tc.perMsg; n < need {
					t.Fatalf("request %d acknowledged with %d rows committed, before its rows (%d) were", i, n, need)
				}
			}
			fs.mu.Lock()
			calls := len(fs.batches)
			fs.mu.Unlock()
			if tc.ahead && calls >= tc.reqs {
				t.Fatalf("%d sink calls for %d requests: the lane waited for each commit instead of consuming ahead", calls, tc.reqs)
			}
			assertBatches(t, fs, tc.reqs*tc.msgs*tc.perMsg, calls)
		})
	}
}

func rowsIn(batches []int) int {
	n := 0
	for _, b := range batches {
		n += b
	}
	return n
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
	total := rowsIn(fs.batches)
	if total != wantRows || len(fs.batches) != wantBatches {
		t.Fatalf("sink got %d rows in batches %v; want %d rows in %d batches", total, fs.batches, wantRows, wantBatches)
	}
}
