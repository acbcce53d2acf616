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
	"github.com/ferry-cdc/ferry/pkg/mq"
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
		sb, ok := p.fill(ctx, q, pending)
		if !ok || !p.sendWithRetry(ctx, sb) {
			return
		}
		n := len(sb.out)
		sb.release()
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

// fill encodes pending's messages from the start into one batch body and returns it: at least
// one message, at most maxSendBytes in all. A message is left for the next call when its
// estimated size would pass the bound, or, rarely, when its encoding does. An invalid message
// is a bug in a message we built ourselves: it is never skipped. The messages before it are
// sent; when it comes first, the lane stops (the checkpoint stays behind it), logs loudly and
// waits for Close: ok is false.
func (p *Publisher) fill(ctx context.Context, q int, pending []*outgoing) (sb *sendBatch, ok bool) {
	sb = newSendBatch(q)
	for _, o := range pending {
		if len(sb.out) > 0 && len(sb.buf)+o.size > maxSendBytes {
			break
		}
		start := len(sb.buf)
		buf, err := p.appendFrame(sb.buf, o)
		if err != nil {
			if len(sb.out) > 0 {
				return sb, true
			}
			p.log.Error("change event does not validate; lane stopped", "queue", q, "table", o.msg.Table, "error", err)
			p.metrics.SendErrors.Inc()
			<-ctx.Done()
			return nil, false
		}
		if len(sb.out) > 0 && len(buf) > maxSendBytes {
			sb.buf = buf[:start]
			break
		}
		sb.add(buf, o)
	}
	return sb, true
}

// appendFrame appends o's message to a batch body (its JSON, tag, keys and ids).
func (p *Publisher) appendFrame(dst []byte, o *outgoing) ([]byte, error) {
	return mq.AppendFrame(dst, p.rocketMessage(o).MarshallProperties(), func(b []byte) ([]byte, error) {
		// The grouper encoded the rows when they were added (refusing invalid UTF-8 there), so
		// skip the full Validate on the hot path; AppendJSON still checks the header's strings.
		out, err := event.AppendJSON(b, o.msg)
		o.body = len(out) - len(b)
		return out, err
	})
}

// sendWithRetry sends sb in one call until SEND_OK; false when ctx (the publisher's life) ended
// first. A batch the broker refuses as too large is split in halves, sent one after the other.
func (p *Publisher) sendWithRetry(ctx context.Context, sb *sendBatch) bool {
	backoff := retry.Backoff{First: 100 * time.Millisecond, Max: p.cfg.MaxRetryDelay}
	for attempt := 1; ; attempt++ {
		start := time.Now()
		sctx, cancel := context.WithTimeout(ctx, p.cfg.SendTimeout)
		res, err := p.sender.SendSync(sctx, sb.message(p.cfg.Topic))
		cancel()
		if err == nil && res != nil && res.Status == primitive.SendOK {
			p.acked(sb.out, time.Since(start))
			return true
		}
		if err == nil {
			err = fmt.Errorf("broker answered %s", sendStatus(res))
		}
		p.metrics.SendErrors.Inc()
		if len(sb.out) > 1 && tooLarge(err) {
			a, b := sb.halves()
			return p.sendWithRetry(ctx, a) && p.sendWithRetry(ctx, b)
		}
		first := sb.out[0].msg
		delay := backoff.Next()
		level, fix := sendFix(err, len(sb.buf), first)
		p.log.Log(ctx, level, "send change events failed; retrying", "queue", sb.queue, "table", first.Table,
			"binlog_file", first.Ferry.File, "binlog_pos", first.Ferry.Pos, "messages", len(sb.out), "attempt", attempt,
			"retry_in", delay, "bytes", len(sb.buf), "error", err, "fix", fix)
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

// rocketMessage returns o's RocketMQ message without its body: the properties its frame in a
// batch body carries.
func (p *Publisher) rocketMessage(o *outgoing) *primitive.Message {
	m := primitive.NewMessage(p.cfg.Topic, nil)
	if o.msg.Table != "" {
		m.WithTag(o.msg.Table)
	}
	m.WithKeys([]string{propertySafe.Replace(event.MessageKeys(o.msg))})
	// Every message of a batch carries its own unique id, as the Java client sets (consumers see
	// it as the message id).
	m.WithProperty(primitive.PropertyUniqueClientMessageIdKeyIndex, primitive.CreateUniqID())
	if !o.msg.IsDDL {
		m.WithShardingKey(propertySafe.Replace(event.ShardingKey(o.msg.Database, o.msg.Table, o.msg.RowKey(0))))
	}
	return m
}
