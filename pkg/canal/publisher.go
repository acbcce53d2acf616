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
	QueueBuffer   int           // seal steps buffered per queue (a step: the messages of one queue sealed together)
}

// Publisher sends change events to RocketMQ: one goroutine ("lane") per queue sends that queue's
// messages in the order they were sealed, so every key's rows reach its queue in binlog order. A
// lane sends every message waiting for it in one batch call (SendSync with several messages for
// its queue; the broker stores them as separate messages, in order), at most maxSendBytes per
// call. A failed call is retried, whole, with exponential backoff until it gets SEND_OK or the
// publisher is closed; nothing is ever skipped, and checkpoints only pass acknowledged messages.
type Publisher struct {
	cfg     PublisherConfig
	sender  Sender
	log     *slog.Logger
	metrics *Metrics
	acks    *ackTracker
	lanes   []chan []*outgoing // per queue: sealed messages, a slot holds those sealed together
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
	wire  *primitive.Message
	bytes int // encoded size in a batch body (RocketMQ's per-message framing included)
	rows  int // rows of msg (its row images are dropped once encoded)
}

// maxSendBytes bounds one batch call's body: the broker refuses a batch larger than its
// maxMessageSize (4 MiB by default) as a whole. A single larger message is still sent, alone.
const maxSendBytes = 4<<20 - 64<<10

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
	p.lanes = make([]chan []*outgoing, cfg.Queues)
	for q := range p.lanes {
		p.lanes[q] = make(chan []*outgoing, cfg.QueueBuffer)
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
	case <-p.ctx.Done():
		return fmt.Errorf("publish to queue %d: %w", q, ErrClosed)
	}
}

// ErrClosed is returned when publishing after Close.
var ErrClosed = errors.New("publisher closed")

func (p *Publisher) runLane(q int) {
	defer p.wg.Done()
	var pending []*outgoing // taken from the lane, not yet sent, in sealing order
	for {
		if len(pending) == 0 {
			select {
			case pending = <-p.lanes[q]:
			case <-p.ctx.Done():
				return
			}
		}
		pending = p.gather(q, pending)
		n, ok := p.fit(q, pending)
		if !ok || !p.sendWithRetry(pending[:n]) {
			return
		}
		clear(pending[:n]) // sent messages may be collected
		pending = pending[n:]
	}
}

// gather appends the messages waiting on lane q to pending while pending holds less than one
// batch call's worth (estimated sizes), so memory stays bounded by queue-buffer slots.
func (p *Publisher) gather(q int, pending []*outgoing) []*outgoing {
	est := 0
	for _, o := range pending {
		est += o.size
	}
	for est < maxSendBytes {
		select {
		case os := <-p.lanes[q]:
			pending = append(pending, os...)
			for _, o := range os {
				est += o.size
			}
		default:
			return pending
		}
	}
	return pending
}

// fit encodes pending's messages from the start and returns how many go into one batch call (at
// least one, at most maxSendBytes in all). An invalid message is a bug in a message we built
// ourselves: it is never skipped. The messages before it are sent; when it comes first, the lane
// stops (the checkpoint stays behind it), logs loudly and waits for Close: ok is false.
func (p *Publisher) fit(q int, pending []*outgoing) (n int, ok bool) {
	total := 0
	for n < len(pending) {
		o := pending[n]
		if err := p.encode(o); err != nil {
			if n > 0 {
				return n, true
			}
			p.log.Error("change event does not validate; lane stopped", "queue", q, "table", o.msg.Table, "error", err)
			p.metrics.SendErrors.Inc()
			<-p.ctx.Done()
			return 0, false
		}
		if n > 0 && total+o.bytes > maxSendBytes {
			break
		}
		total += o.bytes
		n++
	}
	return n, true
}

// encode builds o's RocketMQ message once (o.wire) and its size in a batch body (o.bytes).
func (p *Publisher) encode(o *outgoing) error {
	if o.wire != nil {
		return nil
	}
	// The tailer builds messages from decoded rows (values validated while formatting), so skip the
	// full Validate on the hot path; AppendJSON still refuses invalid UTF-8.
	body, err := event.AppendJSON(make([]byte, 0, o.size+o.size/4+1024), o.msg)
	if err != nil {
		return err
	}
	o.wire = p.rocketMessage(o, body)
	// The body holds the rows now: free the row maps while the message waits for its send (they
	// are most of a waiting message's memory, and the GC rescans them every cycle).
	o.rows = len(o.msg.Data)
	o.msg.Data, o.msg.Old = nil, nil
	// A batch body holds each message as TOTALSIZE MAGICCODE BODYCRC FLAG BODYSIZE (4 bytes each),
	// the body, PROPERTYSIZE (2 bytes) and the properties (producer.MarshalMessageBatch).
	o.bytes = 22 + len(body) + len(o.wire.MarshallProperties())
	return nil
}

// sendWithRetry sends batch in one call until SEND_OK; false when the publisher closed first. A
// batch the broker refuses as too large is split in halves, sent one after the other.
func (p *Publisher) sendWithRetry(batch []*outgoing) bool {
	msgs := make([]*primitive.Message, len(batch))
	bytes := 0
	for i, o := range batch {
		msgs[i] = o.wire
		bytes += o.bytes
	}
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		start := time.Now()
		ctx, cancel := context.WithTimeout(p.ctx, p.cfg.SendTimeout)
		res, err := p.sender.SendSync(ctx, msgs...)
		cancel()
		if err == nil && res != nil && res.Status == primitive.SendOK {
			p.acked(batch, time.Since(start))
			return true
		}
		if err == nil {
			err = fmt.Errorf("broker answered %s", sendStatus(res))
		}
		p.metrics.SendErrors.Inc()
		if h := len(batch) / 2; h > 0 && tooLarge(err) {
			return p.sendWithRetry(batch[:h]) && p.sendWithRetry(batch[h:])
		}
		first := batch[0].msg
		level, fix := sendFix(err, bytes, first)
		p.log.Log(p.ctx, level, "send change events failed; retrying", "queue", batch[0].queue, "table", first.Table,
			"binlog_file", first.Ferry.File, "binlog_pos", first.Ferry.Pos, "messages", len(batch), "attempt", attempt,
			"retry_in", delay, "bytes", bytes, "error", err, "fix", fix)
		select {
		case <-time.After(delay):
		case <-p.ctx.Done():
			return false
		}
		delay = min(delay*2, p.cfg.MaxRetryDelay)
	}
}

// acked records SEND_OK for every message of batch.
func (p *Publisher) acked(batch []*outgoing, d time.Duration) {
	p.metrics.observeSend(batch, d)
	for _, o := range batch {
		p.acks.ack(o.seq)
		if o.done != nil {
			close(o.done)
		}
	}
}

// tooLarge reports whether the broker refused a send for its size (RocketMQ's CODE 13,
// MESSAGE_ILLEGAL: body larger than maxMessageSize).
func tooLarge(err error) bool { return strings.Contains(err.Error(), "CODE: 13") }

// sendFix classifies a failed send for the operator. A body the broker refuses as too large
// (RocketMQ's CODE 13, maxMessageSize, 4 MiB by default) fails the same way on every retry: it
// is logged as an error with the two ways out. The tailer still retries rather than skip the row,
// so its checkpoint stays before the row and raising the broker's limit lets it through.
func sendFix(err error, size int, m *event.Message) (slog.Level, string) {
	if tooLarge(err) || size >= 4<<20 {
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
	// The client sets a unique id only on a message sent alone; set it here for batches too, as the
	// Java client does for each message of a batch (consumers see it as the message id).
	m.WithProperty(primitive.PropertyUniqueClientMessageIdKeyIndex, primitive.CreateUniqID())
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
