package replayer

import (
	"context"
	"fmt"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// Bodies of staged messages.
//
// Invariant: once a staging sink (ClickHouse) has converted a message's rows into its batch's
// typed columns, the message's body is needed again only if that batch fails. The lane
// releases such bodies before it hands the messages to its acker, so the pull cache holds only
// bodies not converted yet, and a batch costs its typed columns instead of the message text
// (about 440 bytes per order row): big batches (large ClickHouse parts, few merges) fit the
// memory target. A released message is still unacknowledged, so its offset is not committed
// and the broker still has it: after a failed batch the acker re-reads the bodies by queue
// offset (bodiesOf) and retries exactly as with kept bodies. A sink that does not stage (MySQL)
// keeps rows that point into the bodies until its batch is applied: nothing is released.

// bodyPuller re-reads messages of a queue from the broker (the lite pull consumer's PullFrom).
type bodyPuller interface {
	PullFrom(ctx context.Context, queue *primitive.MessageQueue, offset int64, numbers int) (*primitive.PullResult, error)
}

// releaseBodies drops the bodies of the pending messages when the sink staged their rows.
// It runs on the lane's worker before the messages reach the acker (which reads bodies only
// after that hand-off), and never for a request without a release function (tests).
func (l *lane) releaseBodies(req *request, pend []pending) {
	if req == nil || req.release == nil || l.r.batcher.stager == nil || len(pend) == 0 {
		return
	}
	msgs := make([]*primitive.MessageExt, len(pend))
	for i, p := range pend {
		msgs[i] = p.msg
	}
	req.release(msgs...)
}

// bodiesOf returns the bodies of the batch's messages (one queue's, in queue order), reading
// the released ones again from the broker. A lost connection to the broker is waited out
// (ferry_replayer_errors_total{kind="broker_transient"}); any other failure, such as messages
// the broker no longer has, gives up after the configured retries.
func (r *Replayer) bodiesOf(ctx context.Context, batch []pending) ([][]byte, error) {
	bodies := make([][]byte, len(batch))
	var missing []int
	for i, p := range batch {
		if bodies[i] = p.msg.Body; bodies[i] == nil {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return bodies, nil
	}
	first, last := batch[missing[0]].msg, batch[missing[len(missing)-1]].msg
	connectionLost := func(err error) bool { return sink.IsTransient(nil, err) } // no sink: only the network's signs
	err := r.retryKind(ctx, r.cfg.Retries, "broker_transient", connectionLost,
		func() error { return r.pullBodies(ctx, batch, missing, bodies) })
	if err != nil {
		topic, queue := origin(first)
		return nil, fmt.Errorf("read %d released messages of topic=%s queue=%d offsets %d..%d again from the broker for a retry: %w",
			len(missing), topic, queue, first.QueueOffset, last.QueueOffset, err)
	}
	r.metrics.BodiesRefetched.Add(float64(len(missing)))
	return bodies, nil
}

// pullBodies fills bodies[i] for each i in missing by pulling the queue from the lowest
// missing offset up to the highest.
func (r *Replayer) pullBodies(ctx context.Context, batch []pending, missing []int, bodies [][]byte) error {
	if r.puller == nil {
		return fmt.Errorf("no consumer to pull from")
	}
	if batch[missing[0]].msg.Queue == nil {
		return fmt.Errorf("message %s has no queue", batch[missing[0]].msg.MsgId)
	}
	want := make(map[int64]int, len(missing))
	for _, i := range missing {
		want[batch[i].msg.QueueOffset] = i
	}
	q := *batch[missing[0]].msg.Queue
	off, end := batch[missing[0]].msg.QueueOffset, batch[missing[len(missing)-1]].msg.QueueOffset
	for off <= end {
		res, err := r.puller.PullFrom(ctx, &q, off, int(min(end-off+1, 32)))
		if err != nil {
			return fmt.Errorf("pull offset %d: %w", off, err)
		}
		if res.Status != primitive.PullFound || res.NextBeginOffset <= off {
			return fmt.Errorf("pull offset %d: status %d, next offset %d (the broker no longer has the messages?)", off, res.Status, res.NextBeginOffset)
		}
		for _, m := range res.GetMessageExts() {
			if i, ok := want[m.QueueOffset]; ok {
				bodies[i] = m.Body
			}
		}
		off = res.NextBeginOffset
	}
	for _, i := range missing {
		if bodies[i] == nil {
			return fmt.Errorf("offset %d: not returned by the broker", batch[i].msg.QueueOffset)
		}
	}
	return nil
}
