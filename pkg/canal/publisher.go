package canal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// Sender is the part of a RocketMQ producer the publisher uses (rocketmq.Producer implements it).
type Sender interface {
	SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error)
}

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	Topic         string        // change-event topic
	Queues        int           // queue count of the topic (placement modulus)
	MaxBatchRows  int           // rows per message at most
	MaxBatchBytes int           // approximate body bytes per message at most
	SendTimeout   time.Duration // one attempt
	MaxRetryDelay time.Duration // backoff cap; sends are retried until SEND_OK or shutdown
	QueueBuffer   int           // sealed messages buffered per queue
}

// Publisher sends change events to RocketMQ: one goroutine ("lane") per queue sends that queue's
// messages one at a time in the order they were sealed, so every queue receives its rows in binlog
// order. A failed send is retried with exponential backoff until it gets SEND_OK or the publisher
// is closed; nothing is ever skipped, and checkpoints only pass acknowledged messages.
type Publisher struct {
	cfg     PublisherConfig
	sender  Sender
	log     *slog.Logger
	metrics *Metrics
	acks    *ackTracker
	lanes   []chan *outgoing
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex // guards nextID and open batches (for the Publish API)
	nextID  int64
}

// outgoing is one sealed message on its way to a queue.
type outgoing struct {
	seq   uint64
	queue int
	msg   *event.Message
	done  chan struct{} // closed on SEND_OK (Publish API); nil for the tailer
	size  int           // estimated body size (buffer hint)
}

// NewPublisher starts one lane per queue. metrics may be nil.
func NewPublisher(cfg PublisherConfig, s Sender, log *slog.Logger, m *Metrics) (*Publisher, error) {
	if cfg.Queues < 1 || cfg.Topic == "" || cfg.MaxBatchRows < 1 || cfg.QueueBuffer < 1 {
		return nil, fmt.Errorf("%w: publisher needs a topic, queues >= 1, max-batch-rows >= 1, queue-buffer >= 1", ErrConfig)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Publisher{cfg: cfg, sender: s, log: log, metrics: m, acks: newAckTracker(), ctx: ctx, cancel: cancel}
	p.lanes = make([]chan *outgoing, cfg.Queues)
	for q := range p.lanes {
		p.lanes[q] = make(chan *outgoing, cfg.QueueBuffer)
		p.wg.Add(1)
		go p.runLane(q)
	}
	return p, nil
}

// Queues returns the number of queues messages are spread over.
func (p *Publisher) Queues() int { return p.cfg.Queues }

// enqueue seals m for queue q: it blocks while the lane's buffer is full (back-pressure on the
// binlog reader) and fails when ctx ends or the publisher is closed (the message's seq then never
// gets acknowledged, so no checkpoint passes it).
func (p *Publisher) enqueue(ctx context.Context, q int, m *event.Message, done chan struct{}, size int) error {
	p.mu.Lock()
	p.nextID++
	m.ID = p.nextID
	p.mu.Unlock()
	o := &outgoing{seq: p.acks.next(), queue: q, msg: m, done: done, size: size}
	select {
	case p.lanes[q] <- o:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("publish to queue %d: %w", q, ctx.Err())
	case <-p.ctx.Done():
		return fmt.Errorf("publish to queue %d: %w", q, ErrClosed)
	}
}

// ErrClosed is returned when publishing after Close.
var ErrClosed = errors.New("publisher closed")

func (p *Publisher) runLane(q int) {
	defer p.wg.Done()
	for {
		select {
		case o := <-p.lanes[q]:
			if !p.sendWithRetry(o) {
				return
			}
		case <-p.ctx.Done():
			return
		}
	}
}

// sendWithRetry encodes and sends o until SEND_OK; false when the publisher closed first.
func (p *Publisher) sendWithRetry(o *outgoing) bool {
	// The tailer builds messages from decoded rows (values validated while formatting), so skip the
	// full Validate on the hot path; AppendJSON still refuses invalid UTF-8.
	body, err := event.AppendJSON(make([]byte, 0, o.size+o.size/4+1024), o.msg)
	if err != nil {
		// A message we built ourselves is invalid: a bug. Never skip it; stop this lane so the
		// checkpoint stays behind it, and make it loud.
		p.log.Error("change event does not validate; lane stopped", "queue", o.queue, "table", o.msg.Table, "error", err)
		p.metrics.SendErrors.Inc()
		<-p.ctx.Done()
		return false
	}
	msg := p.rocketMessage(o, body)
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		start := time.Now()
		ctx, cancel := context.WithTimeout(p.ctx, p.cfg.SendTimeout)
		res, err := p.sender.SendSync(ctx, msg)
		cancel()
		if err == nil && res != nil && res.Status == primitive.SendOK {
			p.metrics.observeSend(o, len(body), time.Since(start))
			p.acks.ack(o.seq)
			if o.done != nil {
				close(o.done)
			}
			return true
		}
		if err == nil {
			err = fmt.Errorf("broker answered %s", sendStatus(res))
		}
		p.metrics.SendErrors.Inc()
		level, fix := sendFix(err, len(body), o.msg)
		p.log.Log(p.ctx, level, "send change event failed; retrying", "queue", o.queue, "table", o.msg.Table,
			"binlog_file", o.msg.Ferry.File, "binlog_pos", o.msg.Ferry.Pos, "attempt", attempt, "retry_in", delay,
			"bytes", len(body), "error", err, "fix", fix)
		select {
		case <-time.After(delay):
		case <-p.ctx.Done():
			return false
		}
		delay = min(delay*2, p.cfg.MaxRetryDelay)
	}
}

// sendFix classifies a failed send for the operator. A body the broker refuses as too large
// (RocketMQ's CODE 13, maxMessageSize, 4 MiB by default) fails the same way on every retry: it
// is logged as an error with the two ways out. The tailer still retries rather than skip the row,
// so its checkpoint stays before the row and raising the broker's limit lets it through.
func sendFix(err error, size int, m *event.Message) (slog.Level, string) {
	if strings.Contains(err.Error(), "CODE: 13") || size >= 4<<20 {
		return slog.LevelError, fmt.Sprintf("a message of %d bytes for %s.%s exceeds the broker's maxMessageSize: "+
			"raise maxMessageSize in the broker config (deploy/rocketmq/broker.conf) and restart the broker, or drop "+
			"the large column with --exclude-columns %s.%s.<column>; the tailer retries and loses nothing meanwhile",
			size, m.Database, m.Table, m.Database, m.Table)
	}
	return slog.LevelWarn, "check that the broker is up (scripts/stack status); the tailer retries with backoff"
}

func sendStatus(r *primitive.SendResult) string {
	if r == nil {
		return "no result"
	}
	return fmt.Sprintf("status %d (want SEND_OK)", r.Status)
}

// propertySafe removes the bytes RocketMQ uses as property separators (0x01, 0x02).
var propertySafe = strings.NewReplacer("\x01", "\uFFFD", "\x02", "\uFFFD")

func (p *Publisher) rocketMessage(o *outgoing, body []byte) *primitive.Message {
	m := primitive.NewMessage(p.cfg.Topic, body)
	m.Queue = &primitive.MessageQueue{Topic: p.cfg.Topic, QueueId: o.queue}
	if o.msg.Table != "" {
		m.WithTag(o.msg.Table)
	}
	m.WithKeys([]string{propertySafe.Replace(event.MessageKeys(o.msg))})
	if !o.msg.IsDDL {
		m.WithShardingKey(propertySafe.Replace(event.ShardingKey(o.msg.Database, o.msg.Table, o.msg.RowKey(0))))
	}
	return m
}

// QueueSelector picks the queue the publisher chose (stored in Message.Queue.QueueId) from the
// route's queues sorted by broker and queue id. Use it with producer.WithQueueSelector.
type QueueSelector struct{}

// Select implements producer.QueueSelector.
func (QueueSelector) Select(m *primitive.Message, mqs []*primitive.MessageQueue, _ string) *primitive.MessageQueue {
	if len(mqs) == 0 {
		return nil
	}
	sorted := append([]*primitive.MessageQueue(nil), mqs...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].BrokerName != sorted[j].BrokerName {
			return sorted[i].BrokerName < sorted[j].BrokerName
		}
		return sorted[i].QueueId < sorted[j].QueueId
	})
	q := 0
	if m.Queue != nil {
		q = m.Queue.QueueId
	}
	return sorted[q%len(sorted)]
}

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
