package flashsale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/internal/retry"
	"github.com/ferry-cdc/ferry/pkg/orderflow"
	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

// WorkerConfig configures the order-creation workers.
type WorkerConfig struct {
	NameServer string  `yaml:"name-server"`
	Topic      string  `yaml:"flash-topic"`
	Group      string  `yaml:"flash-group"`
	MaxRate    float64 `yaml:"max-rate"`  // order inserts per second, all workers of this process together
	Burst      int     `yaml:"max-burst"` // token-bucket burst
	Parallel   int     `yaml:"workers"`   // processing goroutines sharing the rate cap
}

// DefaultWorkerConfig creates at most 200 orders/s (burst 10) from flash_sale_order.
func DefaultWorkerConfig() WorkerConfig {
	return WorkerConfig{NameServer: "127.0.0.1:9876", Topic: orderflow.TopicFlashSaleOrder,
		Group: "ferry_orderflow_flash_workers", MaxRate: 200, Burst: 10, Parallel: 4}
}

// Validate reports the first invalid field.
func (c WorkerConfig) Validate() error {
	if c.NameServer == "" || c.Topic == "" || c.Group == "" || c.MaxRate <= 0 || c.Burst < 1 || c.Parallel < 1 {
		return fmt.Errorf("flash-sale worker config: need name server, topic, group, max rate > 0, burst >= 1 and workers >= 1 (got %+v)", c)
	}
	return nil
}

// Creator creates the order of one win; *service.Service implements it.
type Creator interface {
	CreateFlashSaleOrder(ctx context.Context, win orderflow.FlashSaleWin) (orderID uint64, created bool, err error)
}

var _ Creator = (*service.Service)(nil)

// Worker pulls flash-sale messages with a RocketMQ pull consumer and creates orders at most at
// MaxRate. Invariant: a message is acknowledged only after its order exists (created now or
// found by request id) or it was rejected for good; on shutdown unacknowledged messages are
// redelivered to the next worker of the group, and the request-id key makes that harmless.
type Worker struct {
	cfg     WorkerConfig
	c       Creator
	pc      rocketmq.PullConsumer
	bucket  *Bucket
	metrics *Metrics
	log     *slog.Logger
}

// StartWorker starts a pull consumer in cfg.Group; call Run to process and Shutdown to stop.
func StartWorker(cfg WorkerConfig, c Creator, m *Metrics, log *slog.Logger) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pc, err := rocketmq.NewPullConsumer(append(orderflow.ConsumerOptions(cfg.NameServer, cfg.Group, "flash"),
		consumer.WithPullBatchSize(32))...)
	if err != nil {
		return nil, fmt.Errorf("create pull consumer %s: %w", cfg.Group, err)
	}
	if err := pc.Subscribe(cfg.Topic, consumer.MessageSelector{}); err != nil {
		return nil, fmt.Errorf("subscribe %s to %s: %w", cfg.Group, cfg.Topic, err)
	}
	if err := pc.Start(); err != nil {
		return nil, fmt.Errorf("start pull consumer %s: %w", cfg.Group, err)
	}
	return &Worker{cfg: cfg, c: c, pc: pc, bucket: NewBucket(cfg.MaxRate, cfg.Burst), metrics: m, log: log}, nil
}

// Shutdown stops the pull consumer and persists the acknowledged offsets.
func (w *Worker) Shutdown() error { return w.pc.Shutdown() }

// Run polls and processes with cfg.Parallel goroutines (sharing the rate cap) until ctx ends.
// It returns nil on cancellation.
func (w *Worker) Run(ctx context.Context) error {
	errs := make(chan error, w.cfg.Parallel)
	for i := 0; i < w.cfg.Parallel; i++ {
		go func() { errs <- w.loop(ctx) }()
	}
	var first error
	for i := 0; i < w.cfg.Parallel; i++ {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (w *Worker) loop(ctx context.Context) error {
	for ctx.Err() == nil {
		cr, err := w.pc.Poll(ctx, time.Second)
		if errors.Is(err, consumer.ErrNoNewMsg) || cr == nil {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll %s: %w", w.cfg.Topic, err)
		}
		if err := w.process(ctx, cr.GetMsgList()); err != nil {
			return nil // ctx ended mid-batch: leave the batch unacknowledged for redelivery
		}
		w.pc.ACK(ctx, cr, consumer.ConsumeSuccess)
	}
	return nil
}

// process handles a batch; it returns an error only when ctx ended before the batch was done.
func (w *Worker) process(ctx context.Context, msgs []*primitive.MessageExt) error {
	for _, msg := range msgs {
		win, err := orderflow.DecodeFlashSaleWin(msg.Body)
		if err != nil { // cannot ever succeed: count, log with coordinates, reconciliation shows it
			w.metrics.Rejected.Inc()
			w.log.Error("undecodable flash-sale message skipped", "msg_id", msg.MsgId, "queue", msg.Queue.QueueId,
				"offset", msg.QueueOffset, "err", err)
			continue
		}
		if err := w.createWithRetry(ctx, win, msg); err != nil {
			return err
		}
	}
	return nil
}

// createWithRetry waits for a token and creates the order, retrying database errors with
// backoff until it succeeds, is rejected for good, or ctx ends.
func (w *Worker) createWithRetry(ctx context.Context, win orderflow.FlashSaleWin, msg *primitive.MessageExt) error {
	backoff := retry.Backoff{First: 50 * time.Millisecond, Max: 5 * time.Second}
	for {
		if err := w.bucket.Wait(ctx); err != nil {
			return err
		}
		_, created, err := w.c.CreateFlashSaleOrder(ctx, win)
		switch {
		case err == nil && created:
			w.metrics.OrdersCreated.Inc()
			w.metrics.WorkerLag.Observe(time.Since(win.WonAt).Seconds())
			return nil
		case err == nil:
			w.metrics.Duplicates.Inc()
			return nil
		case errors.Is(err, service.ErrOutOfStock), errors.Is(err, service.ErrInvalid):
			w.metrics.Rejected.Inc()
			w.log.Error("flash-sale win cannot become an order; reconciliation will report it",
				"request_id", win.RequestID, "msg_id", msg.MsgId, "offset", msg.QueueOffset, "err", err)
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		}
		w.log.Warn("creating flash-sale order failed; retrying", "request_id", win.RequestID, "err", err)
		if err := backoff.Wait(ctx); err != nil {
			return err
		}
	}
}
