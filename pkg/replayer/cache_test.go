package replayer

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

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

// cacheQueues is the queue count of the pull-cache tests' topic.
const cacheQueues = 8

// cacheBacklog is a topic holding about 16 MiB of order-row messages, none consumed yet.
type cacheBacklog struct {
	topic              string
	table              *sink.Table
	rows               int
	published, maxBody int // body bytes in all, and of the largest message
}

func newCacheBacklog(t *testing.T, st *testenv.Stack, name string) cacheBacklog {
	t.Helper()
	const perQueue, rowsPerMsg = 400, 8
	b := cacheBacklog{topic: st.NewTopic(t, cacheQueues), table: sinktest.OrdersTable("src", name)}
	rows := sinktest.OrderRows(rand.New(rand.NewPCG(5, 8)), b.table, 1, cacheQueues*perQueue*rowsPerMsg)
	pub := newPublisher(t, st, b.topic, cacheQueues)
	for i := range cacheQueues * perQueue {
		body, err := event.Encode(chunkMessage(rows[i*rowsPerMsg:(i+1)*rowsPerMsg], int64(i)))
		if err != nil {
			t.Fatal(err)
		}
		pub.sendRaw(i%cacheQueues, body, b.table.Name)
		b.published, b.maxBody = b.published+len(body), max(b.maxBody, len(body))
	}
	b.rows = len(rows)
	return b
}

// bound is the most queues may hold with share bytes each: the pull that crosses a share
// brings at most 32 messages (the broker's limit).
func (b cacheBacklog) bound(queues, share int) int { return queues * (share + 32*b.maxBody) }

func newGatedTarget(t *testing.T, st *testenv.Stack) gatedTarget {
	mt := newMySQLTarget(t, st)
	return gatedTarget{mysqlTarget: mt, g: &gatedSink{Sink: mt.sink, open: make(chan struct{})}}
}

// TestPullCacheBudgetSplitsOverQueues publishes about 16 MiB of message bodies to an 8-queue
// topic while the copy accepts nothing, so nothing is acknowledged. The replayer must stop
// pulling near the smaller of cache-mb and 8 x queue-cache-mb (each queue gets cache-mb/8, at
// most queue-cache-mb, plus the one pull that crosses it), where before cache-mb existed 8 x
// queue-cache-mb was the only bound. Once the copy accepts, every row must arrive and the
// cache must empty.
func TestPullCacheBudgetSplitsOverQueues(t *testing.T) {
	st := testenv.Get(t)
	b := newCacheBacklog(t, st, "cache_budget")
	for _, tc := range []struct {
		name             string
		cacheMB, queueMB int
		share            int // bytes per queue
	}{
		{"split", 2, 4, 2 << 20 / cacheQueues},
		{"capped per queue", 64, 1, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := newGatedTarget(t, st)
			cfg := testConfig(st, b.topic) // a fresh group: it reads the topic from the start
			cfg.CacheMB, cfg.QueueCacheMB = tc.cacheMB, tc.queueMB
			r, stop := startReplayer(t, cfg, target)
			peak := waitCacheSettled(t, r, 60*time.Second)
			bound := b.bound(cacheQueues, tc.share)
			t.Logf("published %.1f MiB; pull cache peaked at %.2f MiB (bound %.2f MiB)", mib(b.published), mib(peak), mib(bound))
			if peak > bound || peak >= b.published {
				t.Fatalf("pull cache reached %d of %d published bytes with cache-mb %d, queue-cache-mb %d over %d queues; want at most %d",
					peak, b.published, tc.cacheMB, tc.queueMB, cacheQueues, bound)
			}
			close(target.g.open)
			waitRows(t, target.mysqlTarget, b.table.Name, b.rows, 120*time.Second)
			waitCacheEmpty(t, r)
			if err := stop(); err != nil {
				t.Fatalf("stop: %v", err)
			}
		})
	}
}

// TestPullCacheBudgetFollowsRebalance starts a second replayer in the group while the first
// holds its whole budget over all 8 queues: once each owns 4 queues, each one's share must
// have doubled (its cache grows past what 4 queues held before) and stay within the bound,
// and every row must still arrive once the copy accepts.
func TestPullCacheBudgetFollowsRebalance(t *testing.T) {
	st := testenv.Get(t)
	b := newCacheBacklog(t, st, "cache_rebalance")
	target := newGatedTarget(t, st)
	cfg := testConfig(st, b.topic)
	cfg.CacheMB = 2
	r1, _ := startReplayer(t, cfg, target)
	waitCacheSettled(t, r1, 60*time.Second)
	cfg.Instance = testenv.UniqueName("second")
	r2, _ := startReplayer(t, cfg, target)
	waitOwned(t, 4, r1, r2)
	oldShare, newShare := 2<<20/cacheQueues, 2<<20/(cacheQueues/2)
	for i, r := range []*Replayer{r1, r2} {
		peak := waitCacheSettled(t, r, 60*time.Second)
		t.Logf("replayer %d: pull cache %.2f MiB over 4 queues", i+1, mib(peak))
		if peak > b.bound(4, newShare) || peak <= b.bound(4, oldShare) {
			t.Fatalf("replayer %d holds %d bytes over 4 queues; want more than %d (the share before the rebalance) and at most %d",
				i+1, peak, b.bound(4, oldShare), b.bound(4, newShare))
		}
	}
	close(target.g.open)
	waitRows(t, target.mysqlTarget, b.table.Name, b.rows, 120*time.Second)
	waitCacheEmpty(t, r1)
	waitCacheEmpty(t, r2)
}

// waitOwned waits until each replayer owns n queues of the topic.
func waitOwned(t *testing.T, n int, rs ...*Replayer) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		done := true
		for _, r := range rs {
			f := r.owned.Load()
			done = done && f != nil && len((*f)()) == n
		}
		if done {
			time.Sleep(time.Second) // let the dropped queues leave the gauge (it is set at every poll)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replayers did not each own %d queues within 60 s", n)
		}
	}
}

// waitCacheEmpty waits until the pull cache is empty (everything acknowledged).
func waitCacheEmpty(t *testing.T, r *Replayer) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); gaugeValue(t, r) != 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("pull cache still holds %d bytes 30 s after every row was applied", gaugeValue(t, r))
		}
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

// gaugeValue reads r's pull-cache gauge.
func gaugeValue(t *testing.T, r *Replayer) int {
	t.Helper()
	v := metricValue(r.metrics.PullCacheBytes)
	if v < 0 {
		t.Fatal("cannot read ferry_replayer_pull_cache_bytes")
	}
	return int(v)
}

func mib(n int) float64 { return float64(n) / (1 << 20) }
