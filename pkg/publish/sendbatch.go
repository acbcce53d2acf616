package publish

import (
	"sync"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/pkg/mq"
)

// sendBatch is one batch call of a lane: the batch body (RocketMQ's batch format, every
// message encoded straight into it, pkg/mq) and its messages. Bodies come from a pool and go
// back once the call got SEND_OK: the producer copies nothing, and a catch-up allocates no
// body per message.
type sendBatch struct {
	queue int
	buf   []byte      // the batch body
	ends  []int       // end of each message's frame in buf
	out   []*outgoing // the messages, in sealing order
	pool  *[]byte     // buf's pool slot; nil for a half of a split batch
}

// sendBufs holds batch bodies for reuse (each up to maxSendBytes, and one message larger).
var sendBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

// newSendBatch returns an empty batch for queue q with a pooled body.
func newSendBatch(q int) *sendBatch {
	slot := sendBufs.Get().(*[]byte)
	return &sendBatch{queue: q, buf: (*slot)[:0], pool: slot}
}

// add records o, whose frame ends buf (buf is the batch body with it appended). o's rows are
// dropped: the body holds them now, and they are most of a waiting message's memory.
func (sb *sendBatch) add(buf []byte, o *outgoing) {
	sb.buf = buf
	sb.ends = append(sb.ends, len(buf))
	sb.out = append(sb.out, o)
	o.rows = o.msg.NumRows()
	o.msg.RecycleRows() // the grouper's own message: nothing else writes it again
}

// halves splits a batch of at least two messages into two by message count, sharing the body.
func (sb *sendBatch) halves() (a, b *sendBatch) {
	h := len(sb.out) / 2
	cut := sb.ends[h-1]
	a = &sendBatch{queue: sb.queue, buf: sb.buf[:cut:cut], ends: sb.ends[:h], out: sb.out[:h]}
	b = &sendBatch{queue: sb.queue, buf: sb.buf[cut:], out: sb.out[h:]}
	for _, e := range sb.ends[h:] {
		b.ends = append(b.ends, e-cut)
	}
	return a, b
}

// release returns the body to the pool (after SEND_OK: the sender keeps no reference).
func (sb *sendBatch) release() {
	if sb.pool != nil {
		*sb.pool = sb.buf[:0]
		sendBufs.Put(sb.pool)
		sb.pool, sb.buf = nil, nil
	}
}

// message returns what one send call carries: several messages as one Batch message, a lone
// one as itself, so that the broker checks it as a message and a refusal names its limit
// ("msg body length limit 4194304B"; a batch over the limit gets a bare RuntimeException).
// The lone message's body and properties are cut from the batch body.
func (sb *sendBatch) message(topic string) *primitive.Message {
	batch := mq.NewBatch(topic, sb.queue, sb.buf)
	if len(sb.out) != 1 {
		return batch
	}
	parts, err := mq.Unbatch([]*primitive.Message{batch})
	if err != nil || len(parts) != 1 {
		return batch // cannot happen: fill built the body; the batch form still sends it
	}
	return parts[0]
}
