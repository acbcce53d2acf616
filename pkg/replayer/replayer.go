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
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/ferry-cdc/ferry/pkg/event"
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
	schemas  *event.SchemaCache // parsed schema envelopes, shared by all queues
	batcher  *batcher
	barrier  *barrier
	dlq      sender
	owned    atomic.Pointer[func() []primitive.MessageQueue] // the consumer's owned queues, for the barrier
	puller   bodyPuller                                      // re-reads released bodies (set before polling starts)

	haltOnce sync.Once
	haltErr  error
	haltCh   chan struct{}

	closing atomic.Bool
	lastAck atomic.Int64 // unix nanos of the last acknowledged request, for readiness

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
		tables: newTableCache(), schemas: event.NewSchemaCache(), haltCh: make(chan struct{})}
	r.batcher = newBatcher(s, cfg.BatchRows, cfg.BatchBytes, cfg.FlushInterval, metrics, sinkName)
	r.batcher.flushWhenIdle = cfg.FlushWhenIdle
	r.batcher.minGap = cfg.MinFlushGap
	r.barrier = newBarrier(func() []primitive.MessageQueue {
		if f := r.owned.Load(); f != nil {
			return (*f)()
		}
		return nil
	})
	return r, nil
}

// Run consumes until ctx ends (graceful stop: nil) or the replayer halts (ErrHalted error).
// On the way out it stops taking requests, flushes the pending batch, lets each queue
// acknowledge what became durable, and shuts the consumer down, which persists offsets.
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
	h, err := r.startConsumer()
	if err != nil {
		return err
	}
	r.owned.Store(&h.owned)
	r.puller = h.c
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ackCtx, cancelAcks := context.WithCancel(context.Background())
	defer cancelAcks()
	ls := &lanes{r: r, m: map[primitive.MessageQueue]*lane{}}
	pollDone := make(chan struct{})
	go func() { r.poll(runCtx, ackCtx, h, ls); close(pollDone) }()
	r.started.Store(true)
	go r.watchSink(runCtx, 5*time.Second)
	r.log.Info("replayer consuming", "topic", r.cfg.Topic, "group", r.cfg.Group, "instance", r.cfg.Instance, "sink", r.sinkName)
	select {
	case <-ctx.Done():
		r.log.Info("stopping replayer")
	case <-r.haltCh:
	}
	r.closing.Store(true)
	cancel() // stop polling and decoding; unacknowledged messages are redelivered later
	<-pollDone
	stopDrain := r.drainPolls(h)
	r.stopLanes(ls, cancelAcks, stopBatcher, batchDone)
	if err := h.c.Shutdown(); err != nil {
		r.log.Warn("consumer shutdown", "err", err)
	}
	stopDrain()
	return r.haltError()
}

// haltError returns the halt's error if the replayer halted, else nil. It reads haltErr only
// after haltCh is closed (halt writes it before closing): a queue's pull goroutine can still
// halt (offset gap) while Run returns after a stop, and a plain read would race with it.
func (r *Replayer) haltError() error {
	select {
	case <-r.haltCh:
		return r.haltErr
	default:
		return nil
	}
}

// drainPolls keeps taking (and dropping, unacknowledged) requests while the replayer stops.
// The client's per-queue goroutines block when nobody polls, and its Shutdown closes the
// channel they send on: a blocked send would then panic.
func (r *Replayer) drainPolls(h *consumerHandle) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			_, _ = h.c.Poll(ctx, 100*time.Millisecond)
		}
	}()
	return func() { cancel(); <-done }
}

// stopLanes waits for the queue workers, flushes the batcher once more and lets the ackers
// acknowledge what is durable, within ShutdownTimeout.
func (r *Replayer) stopLanes(ls *lanes, cancelAcks, stopBatcher func(), batchDone chan struct{}) {
	done := make(chan struct{})
	go func() {
		ls.workers.Wait()
		stopBatcher() // final flush of what the workers submitted
		<-batchDone
		ls.ackers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(r.cfg.ShutdownTimeout):
		r.log.Warn("queues still settling at shutdown timeout; their messages will be redelivered")
		cancelAcks()
	}
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
