// Package publish is the tailer's publisher stage: it groups change events into messages per
// queue (Grouper), sends each queue's messages in order on its own lane with retries until
// SEND_OK, tracks the acknowledgements, and advances the durable checkpoint only to transaction
// boundaries whose messages were all acknowledged (Checkpointer; docs/design.md sections 3 and 4).
// The binlog reader (pkg/canal) and the backfill (pkg/backfill) publish through it.
package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
)

// Sender is the part of a RocketMQ producer the publisher uses (rocketmq.Producer implements it).
// The publisher sends one message per call, a Batch message (mq.NewBatch) or a lone message cut
// from one, and reuses its bytes once SendSync returns: a Sender that keeps them must copy them.
type Sender interface {
	SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error)
}

// Config configures a Publisher.
type Config struct {
	Topic         string        // change-event topic
	Queues        int           // queue count of the topic (placement modulus)
	MaxBatchRows  int           // rows per message at most
	MaxBatchBytes int           // approximate body bytes per message at most
	SendTimeout   time.Duration // one attempt
	MaxRetryDelay time.Duration // backoff cap; sends are retried until SEND_OK or shutdown
	QueueBuffer   int           // seal steps buffered per queue (a step: the messages of one queue sealed together)
}

// Validate checks the config (the tailer's config validates the same keys with their names).
func (c *Config) Validate() error {
	if c.Queues < 1 || c.Topic == "" || c.MaxBatchRows < 1 || c.QueueBuffer < 1 {
		return fmt.Errorf("%w: publisher needs a topic, queues >= 1, max-batch-rows >= 1, queue-buffer >= 1", ErrConfig)
	}
	return nil
}

// ErrConfig is wrapped by every Config.Validate error.
var ErrConfig = errors.New("invalid publisher config")

// ErrClosed is returned when publishing after Close.
var ErrClosed = errors.New("publisher closed")

// Publisher sends change events to RocketMQ: one goroutine ("lane", lane.go) per queue sends that
// queue's messages in the order they were sealed, so every key's rows reach its queue in binlog
// order. A lane sends every message waiting for it in one batch call (SendSync with several
// messages for its queue; the broker stores them as separate messages, in order), at most
// maxSendBytes per call. A failed call is retried, whole, with exponential backoff until it gets
// SEND_OK or the publisher is closed; nothing is ever skipped, and checkpoints only pass
// acknowledged messages.
type Publisher struct {
	cfg     Config
	sender  Sender
	log     *slog.Logger
	metrics *Metrics
	acks    *ackTracker
	lanes   []chan []*outgoing // per queue: sealed messages, a slot holds those sealed together
	wg      sync.WaitGroup
	closed  <-chan struct{} // closed by Close (the lanes' context is done)
	cancel  context.CancelFunc
	mu      sync.Mutex // guards nextID
	nextID  int64
}

// outgoing is one sealed message on its way to a queue.
type outgoing struct {
	seq   uint64
	queue int
	msg   *event.Message
	done  chan struct{} // closed on SEND_OK (Publish API); nil for the tailer
	size  int           // estimated body size (buffer hint)
	body  int           // encoded body size, once encoded into a batch body
	rows  int           // rows of msg (its row images are dropped once encoded)
}

// New starts one lane per queue. metrics may be nil.
func New(cfg Config, s Sender, log *slog.Logger, m *Metrics) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Publisher{cfg: cfg, sender: s, log: log, metrics: m, acks: newAckTracker(), closed: ctx.Done(), cancel: cancel}
	p.lanes = make([]chan []*outgoing, cfg.Queues)
	for q := range p.lanes {
		p.lanes[q] = make(chan []*outgoing, cfg.QueueBuffer)
		p.wg.Add(1)
		go p.runLane(ctx, q)
	}
	return p, nil
}

// Queues returns the number of queues messages are spread over.
func (p *Publisher) Queues() int { return p.cfg.Queues }

// enqueue seals m for queue q: it blocks while the lane's buffer is full (back-pressure on the
// binlog reader) and fails when ctx ends or the publisher is closed (the message's seq then never
// gets acknowledged, so no checkpoint passes it).
func (p *Publisher) enqueue(ctx context.Context, q int, m *event.Message, done chan struct{}, size int) error {
	return p.enqueueAll(ctx, q, []*outgoing{p.seal(q, m, done, size)})
}

// seal numbers m for queue q (message id and ack sequence, in sealing order).
func (p *Publisher) seal(q int, m *event.Message, done chan struct{}, size int) *outgoing {
	p.mu.Lock()
	p.nextID++
	m.ID = p.nextID
	p.mu.Unlock()
	return &outgoing{seq: p.acks.next(), queue: q, msg: m, done: done, size: size}
}

// enqueueAll hands sealed messages of queue q to its lane in one buffer slot, so the lane sees them
// together and sends them in one call; it blocks and fails like enqueue.
func (p *Publisher) enqueueAll(ctx context.Context, q int, os []*outgoing) error {
	select {
	case p.lanes[q] <- os:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("publish to queue %d: %w", q, ctx.Err())
	case <-p.closed:
		return fmt.Errorf("publish to queue %d: %w", q, ErrClosed)
	}
}

// Boundary registers s (a transaction boundary): every row before it must already be sealed
// (Grouper.SealAll). s becomes safe to checkpoint once every message sealed so far got SEND_OK.
func (p *Publisher) Boundary(s checkpoint.State) {
	p.acks.boundary(s)
}

// Pending returns the number of sealed messages not yet acknowledged.
func (p *Publisher) Pending() uint64 { return p.acks.pending() }

// Close stops the lanes at once; unsent messages stay unacknowledged (the checkpoint stays behind
// them). Use Drain first for a graceful stop.
func (p *Publisher) Close() {
	p.cancel()
	p.wg.Wait()
}

// Drain waits until every sealed message is acknowledged or ctx ends.
func (p *Publisher) Drain(ctx context.Context) error {
	for p.acks.pending() > 0 {
		select {
		case <-p.acks.changed:
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("drain publisher: %d messages unacknowledged: %w", p.acks.pending(), ctx.Err())
		}
	}
	return nil
}
