package replayer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// pullConsumer is the part of the client's lite pull consumer the replayer uses.
type pullConsumer interface {
	Poll(ctx context.Context, timeout time.Duration) (*consumer.ConsumeRequest, error)
	ACK(ctx context.Context, cr *consumer.ConsumeRequest, result consumer.ConsumeResult)
	Shutdown() error
	CachedBytes() int64 // body bytes pulled and not yet acknowledged (ferry patch)
	bodyPuller
}

// startConsumer starts the lite pull consumer (clustering: the group's replayers share the
// queues). It has no orderly-consumer queue locks (no 3 s stall on a new queue). Poll hands
// out each queue's pulls in queue order; ACK removes a pull's messages from the queue's
// process queue and stores the offset of the lowest message still in it, so requests may be
// acknowledged in any order and an offset never passes an unacknowledged message. Offsets are
// persisted every 5 s and at Shutdown. The pull cache counts pulled but unacknowledged
// messages (flow control, ferry patch in third_party/rocketmq-client-go): each queue holds at
// most QueueCacheMB, and at most CacheMB split evenly over the owned queues at every
// rebalance, so the cache stays bounded however many queues this replayer owns.
func (r *Replayer) startConsumer() (*consumerHandle, error) {
	c, err := consumer.NewPullConsumer(
		consumer.WithGroupName(r.cfg.Group),
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{r.cfg.NameServer})),
		consumer.WithInstance(r.cfg.Instance),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithPullBatchSize(int32(min(r.cfg.ConsumeBatch, 1024))),
		consumer.WithPullInterval(0),
		consumer.WithPullThresholdForQueue(int64(max(r.cfg.ConsumeBatch*4, 16))),
		consumer.WithPullThresholdSizeForQueue(r.cfg.QueueCacheMB),
		consumer.WithPullThresholdSizeForTopic(r.cfg.CacheMB),
		consumer.WithMaxReconsumeTimes(-1),
	)
	if err != nil {
		return nil, fmt.Errorf("create consumer for group %s: %w", r.cfg.Group, err)
	}
	topic := r.cfg.Topic
	h := &consumerHandle{c: c, owned: func() []primitive.MessageQueue {
		var qs []primitive.MessageQueue
		for mq, pi := range c.GetConsumerRunningInfo(false).MQTable {
			if mq.Topic == topic && !pi.Dropped { // not the group's retry topic
				qs = append(qs, mq)
			}
		}
		return qs
	}}
	c.SetOffsetIllegalHandler(r.offsetGap)
	if err := c.Subscribe(r.cfg.Topic, consumer.MessageSelector{}); err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", r.cfg.Topic, err)
	}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("start consumer (name server %s, topic %s): %w", r.cfg.NameServer, r.cfg.Topic, err)
	}
	return h, nil
}

// consumerHandle wraps the started consumer.
type consumerHandle struct {
	c     pullConsumer
	owned func() []primitive.MessageQueue // queues of the topic this process owns now
}

// offsetGap halts when the broker no longer has a queue's next offset (issue 15 item 7): the
// client would otherwise skip the lost range silently.
func (r *Replayer) offsetGap(mq *primitive.MessageQueue, requested, next int64) {
	_ = r.halt(fmt.Errorf("offset gap in topic=%s queue=%d: the broker no longer has offsets %d..%d (it suggests continuing at %d): "+
		"the messages were deleted (commit log retention) or the queue was reset; the copy misses those changes. "+
		"Fix: resync the tailer and backfill the copy (docs/operations.md), and keep the broker's fileReservedTime above the longest replayer outage",
		mq.Topic, mq.QueueId, requested, next-1, next))
}

// poll hands each pulled request to its queue's lane until ctx ends; a lane started here
// acknowledges until ackCtx ends (after ctx: acknowledgements outlive polling on a stop).
func (r *Replayer) poll(ctx, ackCtx context.Context, h *consumerHandle, lanes *lanes) {
	for ctx.Err() == nil {
		cr, err := h.c.Poll(ctx, 500*time.Millisecond)
		r.metrics.PullCacheBytes.Set(float64(h.c.CachedBytes()))
		if err != nil || cr == nil {
			continue
		}
		pq := cr.GetPQ()
		lanes.get(ctx, ackCtx, *cr.GetMQ()).push(&request{
			queue:   *cr.GetMQ(),
			msgs:    cr.GetMsgList(),
			ack:     func() { h.c.ACK(context.Background(), cr, consumer.ConsumeSuccess) },
			release: pq.ReleaseBodies,
			dropped: pq.IsDroppd,
		})
	}
}

// lanes holds one lane per queue, started on the queue's first request.
type lanes struct {
	r       *Replayer
	mu      sync.Mutex
	m       map[primitive.MessageQueue]*lane
	workers sync.WaitGroup
	ackers  sync.WaitGroup
}

// get returns q's lane, starting it on first use: its worker runs until ctx ends, its acker
// until ackCtx ends.
func (ls *lanes) get(ctx, ackCtx context.Context, q primitive.MessageQueue) *lane {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if l := ls.m[q]; l != nil {
		return l
	}
	l := newLane(ls.r, q)
	ls.m[q] = l
	ls.workers.Add(1)
	ls.ackers.Add(1)
	go func() { defer ls.workers.Done(); l.work(ctx) }()
	go func() { defer ls.ackers.Done(); l.ack(ackCtx) }()
	return l
}
