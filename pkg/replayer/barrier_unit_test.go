package replayer

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// TestBarrierUnit drives the DDL barrier with fake queues: the version is applied once, only
// when every owned queue arrived, and a rebalance that takes a queue away releases the others.
func TestBarrierUnit(t *testing.T) {
	qa, qb := primitive.MessageQueue{Topic: "t", QueueId: 0}, primitive.MessageQueue{Topic: "t", QueueId: 1}
	for _, tc := range []struct {
		name      string
		arrive    []primitive.MessageQueue // queues that reach the DDL
		ownedLate []primitive.MessageQueue // owned set after 300 ms (nil: unchanged)
		queues    int                      // the DDL's ferry.queues (0: not set)
		inSink    bool
		wantApply int32
		wantDone  bool // every arriving queue released within the deadline
	}{
		{"all queues arrive", []primitive.MessageQueue{qa, qb}, nil, 0, false, 1, true},
		{"one queue lags forever", []primitive.MessageQueue{qa}, nil, 0, false, 0, false},
		{"lagging queue rebalanced away", []primitive.MessageQueue{qa}, []primitive.MessageQueue{qa}, 0, false, 1, true},
		{"version already in the sink", []primitive.MessageQueue{qa}, nil, 0, true, 0, true},
		// The topic grew from 1 to 2 queues while the tailer ran: queue 1 gets no copy.
		{"queue added after the tailer started", []primitive.MessageQueue{qa}, nil, 1, false, 1, true},
		{"queue that got a copy lags", []primitive.MessageQueue{qa}, nil, 2, false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			owned := []primitive.MessageQueue{qa, qb}
			b := newBarrier(func() []primitive.MessageQueue { mu.Lock(); defer mu.Unlock(); return owned })
			b.poll = 20 * time.Millisecond
			if tc.ownedLate != nil {
				time.AfterFunc(300*time.Millisecond, func() { mu.Lock(); owned = tc.ownedLate; mu.Unlock() })
			}
			var applied atomic.Int32
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			var wg sync.WaitGroup
			var released atomic.Int32
			for _, q := range tc.arrive {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := b.wait(ctx, ddlStep{queue: q, version: 7, queues: tc.queues, dropped: func() bool { return false },
						inSink: func() (bool, error) { return tc.inSink, nil },
						apply:  func() error { applied.Add(1); return nil }})
					if err == nil {
						released.Add(1)
					}
				}()
			}
			wg.Wait()
			if got := applied.Load(); got != tc.wantApply {
				t.Fatalf("applied %d times, want %d", got, tc.wantApply)
			}
			if done := released.Load() == int32(len(tc.arrive)); done != tc.wantDone {
				t.Fatalf("%d of %d queues released, want all released = %v", released.Load(), len(tc.arrive), tc.wantDone)
			}
		})
	}
}
