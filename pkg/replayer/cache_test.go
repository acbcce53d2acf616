package replayer

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// gatedSink holds every Apply until open is closed, then applies through the real sink.
type gatedSink struct {
	sink.Sink
	open chan struct{}
}

func (g *gatedSink) Apply(ctx context.Context, b *sink.Batch) error {
	select {
	case <-g.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.Sink.Apply(ctx, b)
}

// gatedTarget is a MySQL copy target whose sink is a gatedSink.
type gatedTarget struct {
	*mysqlTarget
	g *gatedSink
}

func (gt gatedTarget) Sink() sink.Sink { return gt.g }

// TestPullCacheBudgetSplitsOverQueues publishes about 16 MiB of message bodies to an 8-queue
// topic while the copy accepts nothing, so nothing is acknowledged. The replayer must stop
// pulling near the smaller of cache-mb and 8 x queue-cache-mb (each queue gets cache-mb/8, at
// most queue-cache-mb, plus the one pull that crosses it), where before cache-mb existed 8 x
// queue-cache-mb was the only bound. Once the copy accepts, every row must arrive and the
// cache must empty.
func TestPullCacheBudgetSplitsOverQueues(t *testing.T) {
	st := testenv.Get(t)
	const queues, perQueue, rowsPerMsg = 8, 400, 8
	topic := st.NewTopic(t, queues)
	table := sinktest.OrdersTable("src", "cache_budget")
	rows := sinktest.OrderRows(rand.New(rand.NewPCG(5, 8)), table, 1, queues*perQueue*rowsPerMsg)
	pub := newPublisher(t, st, topic, queues)
	published, maxBody := 0, 0
	for i := range queues * perQueue {
		body, err := event.Encode(chunkMessage(rows[i*rowsPerMsg:(i+1)*rowsPerMsg], int64(i)))
		if err != nil {
			t.Fatal(err)
		}
		pub.sendRaw(i%queues, body, table.Name)
		published, maxBody = published+len(body), max(maxBody, len(body))
	}
	for _, tc := range []struct {
		name             string
		cacheMB, queueMB int
		share            int // bytes per queue
	}{
		{"split", 2, 4, 2 << 20 / queues},
		{"capped per queue", 64, 1, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mt := newMySQLTarget(t, st)
			target := gatedTarget{mysqlTarget: mt, g: &gatedSink{Sink: mt.sink, open: make(chan struct{})}}
			cfg := testConfig(st, topic) // a fresh group: it reads the topic from the start
			cfg.CacheMB, cfg.QueueCacheMB = tc.cacheMB, tc.queueMB
			r, stop := startReplayer(t, cfg, target)
			peak := waitCacheSettled(t, r, 60*time.Second)
			// The pull that crosses a queue's share brings at most 32 messages (the broker's limit).
			bound := queues * (tc.share + 32*maxBody)
			t.Logf("published %.1f MiB; pull cache peaked at %.2f MiB (bound %.2f MiB)", mib(published), mib(peak), mib(bound))
			if peak > bound || peak >= published {
				t.Fatalf("pull cache reached %d of %d published bytes with cache-mb %d, queue-cache-mb %d over %d queues; want at most %d",
					peak, published, tc.cacheMB, tc.queueMB, queues, bound)
			}
			close(target.g.open)
			waitRows(t, mt, table.Name, len(rows), 120*time.Second)
			for deadline := time.Now().Add(30 * time.Second); gaugeValue(t, r) != 0; time.Sleep(100 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("pull cache still holds %d bytes 30 s after every row was applied", gaugeValue(t, r))
				}
			}
			if err := stop(); err != nil {
				t.Fatalf("stop: %v", err)
			}
		})
	}
}

// waitCacheSettled samples the pull-cache gauge until it is above zero and has not grown for
// 2 s, and returns its peak.
func waitCacheSettled(t *testing.T, r *Replayer, timeout time.Duration) int {
	t.Helper()
	peak, grewAt := 0, time.Now()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if v := gaugeValue(t, r); v > peak {
			peak, grewAt = v, time.Now()
		}
		if peak > 0 && time.Since(grewAt) > 2*time.Second {
			return peak
		}
	}
	t.Fatalf("pull cache did not settle within %s (peak %d bytes)", timeout, peak)
	return 0
}

func gaugeValue(t *testing.T, r *Replayer) int {
	t.Helper()
	var m dto.Metric
	if err := r.metrics.PullCacheBytes.Write(&m); err != nil {
		t.Fatal(err)
	}
	return int(m.GetGauge().GetValue())
}

func mib(n int) float64 { return float64(n) / (1 << 20) }
