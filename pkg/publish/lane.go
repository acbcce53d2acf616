package publish

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/internal/retry"
	"github.com/ferry-cdc/ferry/pkg/event"
)

// maxSendBytes bounds one batch call's body: the broker refuses a batch larger than its
// maxMessageSize (4 MiB by default) as a whole. A single larger message is still sent, alone.
const maxSendBytes = 4<<20 - 64<<10

// runLane sends queue q's sealed messages in sealing order until ctx (the publisher's life) ends.
func (p *Publisher) runLane(ctx context.Context, q int) {
	defer p.wg.Done()
	var pending []*outgoing // taken from the lane, not yet sent, in sealing order
	for {
		if len(pending) == 0 {
			select {
			case pending = <-p.lanes[q]:
			case <-ctx.Done():
				return
			}
		}
		pending = p.gather(q, pending)
		n, ok := p.fit(ctx, q, pending)
		if !ok || !p.sendWithRetry(ctx, pending[:n]) {
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
func (p *Publisher) fit(ctx context.Context, q int, pending []*outgoing) (n int, ok bool) {
	total := 0
	for n < len(pending) {
		o := pending[n]
		if err := p.encode(o); err != nil {
			if n > 0 {
				return n, true
			}
			p.log.Error("change event does not validate; lane stopped", "queue", q, "table", o.msg.Table, "error", err)
			p.metrics.SendErrors.Inc()
			<-ctx.Done()
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
	o.rows = o.msg.NumRows()
	o.msg.DropRows()
	// A batch body holds each message as TOTALSIZE MAGICCODE BODYCRC FLAG BODYSIZE (4 bytes each),
	// the body, PROPERTYSIZE (2 bytes) and the properties (producer.MarshalMessageBatch).
	o.bytes = 22 + len(body) + len(o.wire.MarshallProperties())
	return nil
}

// sendWithRetry sends batch in one call until SEND_OK; false when ctx (the publisher's life) ended
// first. A batch the broker refuses as too large is split in halves, sent one after the other.
func (p *Publisher) sendWithRetry(ctx context.Context, batch []*outgoing) bool {
	msgs := make([]*primitive.Message, len(batch))
	bytes := 0
	for i, o := range batch {
		msgs[i] = o.wire
		bytes += o.bytes
	}
	backoff := retry.Backoff{First: 100 * time.Millisecond, Max: p.cfg.MaxRetryDelay}
	for attempt := 1; ; attempt++ {
		start := time.Now()
		sctx, cancel := context.WithTimeout(ctx, p.cfg.SendTimeout)
		res, err := p.sender.SendSync(sctx, msgs...)
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
			return p.sendWithRetry(ctx, batch[:h]) && p.sendWithRetry(ctx, batch[h:])
		}
		first := batch[0].msg
		delay := backoff.Next()
		level, fix := sendFix(err, bytes, first)
		p.log.Log(ctx, level, "send change events failed; retrying", "queue", batch[0].queue, "table", first.Table,
			"binlog_file", first.Ferry.File, "binlog_pos", first.Ferry.Pos, "messages", len(batch), "attempt", attempt,
			"retry_in", delay, "bytes", bytes, "error", err, "fix", fix)
		if retry.Sleep(ctx, delay) != nil {
			return false
		}
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
