package replayer

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/ferry-cdc/ferry/pkg/mq"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// Replayer consumes the change topic into one sink.
type Replayer struct {
	cfg      Config
	sink     sink.Sink
	sinkName string
	log      *slog.Logger
	metrics  *Metrics
	tables   *tableCache
	batcher  *batcher
	dlq      sender

	haltOnce sync.Once
	haltErr  error
	haltCh   chan struct{}

	gate    sync.RWMutex // callbacks hold it shared; Run takes it to wait for them at shutdown
	closing atomic.Bool
	lastAck atomic.Int64 // unix nanos of the last acknowledged callback, for readiness
	runCtx  atomic.Pointer[context.Context]

	started atomic.Bool
	sinkErr atomic.Pointer[error] // last sink health check result (nil pointer = not checked yet)
}

// pinger is implemented by sinks that can check their connection (both sinks can).
type pinger interface {
	Ping(ctx context.Context) error
}

// watchSink checks the sink's connection every interval until ctx ends, for readiness.
func (r *Replayer) watchSink(ctx context.Context, interval time.Duration) {
	p, ok := r.sink.(pinger)
	if !ok {
		return
	}
	for {
		pctx, cancel := context.WithTimeout(ctx, interval)
		err := p.Ping(pctx)
		cancel()
		if err != nil {
			err = fmt.Errorf("sink %s unreachable: %w", r.sinkName, err)
		}
		r.sinkErr.Store(&err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// New builds a replayer for sink s (named sinkName in metrics). metrics may be nil.
func New(cfg Config, s sink.Sink, sinkName string, log *slog.Logger, metrics *Metrics) (*Replayer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if metrics == nil {
		metrics = NewMetrics(nil)
	}
	if cfg.Instance == "" {
		host, _ := os.Hostname()
		cfg.Instance = fmt.Sprintf("ferry-replayer-%s-%s-%d-%d", sinkName, host, os.Getpid(), time.Now().UnixNano()%1e6)
	}
	r := &Replayer{cfg: cfg, sink: s, sinkName: sinkName, log: log, metrics: metrics,
		tables: newTableCache(), haltCh: make(chan struct{})}
	r.batcher = newBatcher(s, cfg.BatchRows, cfg.BatchBytes, cfg.FlushInterval, metrics, sinkName)
	r.batcher.flushWhenIdle = cfg.FlushWhenIdle
	return r, nil
}

// Run consumes until ctx ends (graceful stop: nil) or the replayer halts (ErrHalted error).
// On the way out it stops taking callbacks, waits for running ones (their batches are still
// flushed, so they acknowledge), and shuts the consumer down, which persists offsets.
func (r *Replayer) Run(ctx context.Context) error {
	mq.SetLogger(r.log.With("component", "rocketmq"))
	batchCtx, stopBatcher := context.WithCancel(context.Background())
	batchDone := make(chan struct{})
	go func() { r.batcher.run(batchCtx); close(batchDone) }()
	defer func() { stopBatcher(); <-batchDone }()

	if r.cfg.Poison == PoisonDeadLetter {
		stop, err := r.startDeadLetter(ctx)
		if err != nil {
			return err
		}
		defer stop()
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	c, err := r.startConsumer(runCtx)
	if err != nil {
		return err
	}
	r.started.Store(true)
	go r.watchSink(runCtx, 5*time.Second)
	r.log.Info("replayer consuming", "topic", r.cfg.Topic, "group", r.cfg.Group, "instance", r.cfg.Instance, "sink", r.sinkName)
	select {
	case <-ctx.Done():
		r.log.Info("stopping replayer")
	case <-r.haltCh:
	}
	r.closing.Store(true)
	cancel() // abort retry backoffs; unacknowledged messages are redelivered later
	waited := make(chan struct{})
	go func() { r.gate.Lock(); r.gate.Unlock(); close(waited) }() //nolint:staticcheck // empty critical section waits for callbacks
	select {
	case <-waited:
	case <-time.After(r.cfg.ShutdownTimeout):
		r.log.Warn("callbacks still running at shutdown timeout; their messages will be redelivered")
	}
	if err := c.Shutdown(); err != nil {
		r.log.Warn("consumer shutdown", "err", err)
	}
	return r.haltErr
}

// consume is the orderly consumer callback for one queue's messages.
func (r *Replayer) consume(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	r.gate.RLock()
	defer r.gate.RUnlock()
	// ConsumeSuccess is the zero value: every path returns an explicit result.
	if r.closing.Load() {
		return consumer.SuspendCurrentQueueAMoment, nil
	}
	if err := r.handle(r.ctxOrRun(ctx), msgs); err != nil {
		return consumer.SuspendCurrentQueueAMoment, nil
	}
	r.lastAck.Store(time.Now().UnixNano())
	return consumer.ConsumeSuccess, nil
}

func (r *Replayer) ctxOrRun(ctx context.Context) context.Context {
	if rc := r.runCtx.Load(); rc != nil {
		return *rc
	}
	return ctx
}

func (r *Replayer) startConsumer(ctx context.Context) (rocketmq.PushConsumer, error) {
	r.runCtx.Store(&ctx)
	c, err := rocketmq.NewPushConsumer(
		consumer.WithGroupName(r.cfg.Group),
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{r.cfg.NameServer})),
		consumer.WithInstance(r.cfg.Instance),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumerOrder(true),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumeMessageBatchMaxSize(r.cfg.ConsumeBatch),
		consumer.WithPullBatchSize(int32(min(r.cfg.ConsumeBatch*2, 1024))),
		// The client caches pulled messages per queue (by default up to 1,024 messages and 512 MiB
		// per queue): during a catch-up of 1 MiB messages that alone is hundreds of MB. Bound the
		// cache so that memory stays flat however far behind the replayer is.
		consumer.WithPullThresholdForQueue(int64(max(r.cfg.ConsumeBatch*4, 16))),
		consumer.WithPullThresholdSizeForQueue(r.cfg.QueueCacheMB),
		consumer.WithSuspendCurrentQueueTimeMillis(time.Second),
	)
	if err != nil {
		return nil, fmt.Errorf("create consumer for group %s: %w", r.cfg.Group, err)
	}
	if err := c.Subscribe(r.cfg.Topic, consumer.MessageSelector{}, r.consume); err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", r.cfg.Topic, err)
	}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("start consumer (name server %s, topic %s): %w", r.cfg.NameServer, r.cfg.Topic, err)
	}
	return c, nil
}

func (r *Replayer) startDeadLetter(ctx context.Context) (func(), error) {
	if r.cfg.BrokerAddr != "" {
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := mq.EnsureTopic(tctx, r.cfg.NameServer, r.cfg.BrokerAddr, r.cfg.DeadLetterTopic, 1); err != nil {
			return nil, fmt.Errorf("create dead-letter topic: %w", err)
		}
	}
	p, err := rocketmq.NewProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{r.cfg.NameServer})),
		producer.WithGroupName(r.cfg.Group+"_dlq"),
		producer.WithInstanceName(r.cfg.Instance+"-dlq"),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(10*time.Second),
	)
	if err != nil {
		return nil, fmt.Errorf("create dead-letter producer: %w", err)
	}
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("start dead-letter producer: %w", err)
	}
	r.dlq = p
	return func() { _ = p.Shutdown() }, nil
}

// Ready reports nil while the consumer runs, the replayer is not halted or stopping, and the
// last sink health check (every 5 s) succeeded (for /readyz).
func (r *Replayer) Ready() error {
	select {
	case <-r.haltCh:
		return r.haltErr
	default:
	}
	if r.closing.Load() {
		return fmt.Errorf("replayer stopping")
	}
	if !r.started.Load() {
		return fmt.Errorf("consumer not started yet")
	}
	if e := r.sinkErr.Load(); e != nil && *e != nil {
		return *e
	}
	return nil
}
