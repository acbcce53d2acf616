package replayer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// request is one pull of a queue's messages, in queue order. It is acknowledged as a whole,
// and only after every message in it is durable (rows committed, DDL applied, or
// dead-lettered by policy).
type request struct {
	queue   primitive.MessageQueue
	msgs    []*primitive.MessageExt
	ack     func()                         // acknowledge the request (the consumer stores the lowest unacknowledged offset)
	release func(...*primitive.MessageExt) // drop bodies from the pull cache (nil: keep them)
	dropped func() bool                    // the queue was rebalanced away: its acks are ignored, skip it
}

// errDropped ends the processing of a request whose queue was rebalanced away.
var errDropped = errors.New("queue no longer owned")

// ackItem is handed from a lane's worker to its acker, in queue order: the rows submitted for
// a request (or for the part of it before a DDL), the request to acknowledge once they are
// durable (nil for a part), or a sync point (the worker waits until everything before it
// was settled).
type ackItem struct {
	req  *request
	pend []pending
	sync chan struct{}
}

// lane consumes one queue: its worker decodes requests in order and submits their rows to the
// shared batcher without waiting for the commit (consume ahead); its acker waits for each
// request's batches in the same order and then acknowledges it (acknowledge after commit).
// A DDL makes the worker wait for its acker (every earlier row of the queue durable) and
// then for the DDL barrier across queues.
type lane struct {
	r     *Replayer
	queue primitive.MessageQueue

	mu    sync.Mutex
	inbox []*request
	wake  chan struct{}

	acks chan ackItem
	dead chan struct{} // closed when the acker stopped on an error
}

func newLane(r *Replayer, q primitive.MessageQueue) *lane {
	return &lane{r: r, queue: q, wake: make(chan struct{}, 1), acks: make(chan ackItem, 64), dead: make(chan struct{})}
}

// push queues a request. It never blocks: the poller must keep serving other queues while
// this one waits at a DDL barrier. Requests stay bounded by the consumer's per-queue pull
// thresholds on unacknowledged messages.
func (l *lane) push(req *request) {
	l.mu.Lock()
	l.inbox = append(l.inbox, req)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *lane) next(ctx context.Context) *request {
	for {
		l.mu.Lock()
		if len(l.inbox) > 0 {
			req := l.inbox[0]
			l.inbox[0] = nil
			l.inbox = l.inbox[1:]
			l.mu.Unlock()
			return req
		}
		l.mu.Unlock()
		select {
		case <-l.wake:
		case <-ctx.Done():
			return nil
		}
	}
}

// work processes requests until ctx ends or a request fails; it closes acks on the way out,
// so the acker settles what was submitted and then ends.
func (l *lane) work(ctx context.Context) {
	defer close(l.acks)
	for {
		req := l.next(ctx)
		if req == nil {
			return
		}
		if req.dropped() {
			continue
		}
		if err := l.process(ctx, req); err != nil && !errors.Is(err, errDropped) {
			return
		}
	}
}

// process decodes one request's messages and submits their rows; DDL and undecodable
// messages are handled in place, in queue order.
func (l *lane) process(ctx context.Context, req *request) error {
	r := l.r
	var pend []pending
	submitting := false
	defer func() {
		if submitting {
			r.batcher.end()
		}
	}()
	for _, msg := range req.msgs {
		if ctx.Err() != nil || r.closing.Load() {
			return errors.Join(errStopping, ctx.Err())
		}
		m, vals, err := event.DecodeColumnsShared(msg.Body, r.schemas) // the body's bytes are never modified (releaseBodies only drops the reference)
		if err == nil && !m.IsDDL {
			var rows []sink.Row
			var size int
			if rows, size, err = r.tables.toRows(m, vals); err == nil {
				if !submitting {
					submitting = true
					r.batcher.begin()
				}
				pend = append(pend, pending{msg: msg, table: m.Database + "." + m.Table, op: opLabel(m.Type), es: m.ES,
					n: len(rows), res: r.batcher.submit(rows, size)})
				continue
			}
		}
		if submitting {
			submitting = false
			r.batcher.end() // group commit may flush what this queue submitted
		}
		if err != nil {
			r.metrics.Errors.WithLabelValues("decode").Inc()
			if err := r.poison(ctx, msg, msg.Body, fmt.Errorf("decode: %w", err)); err != nil {
				return err
			}
			continue
		}
		// DDL: every earlier message of this queue must be durable first.
		l.releaseBodies(req, pend)
		if err := l.hand(ctx, ackItem{pend: pend}); err != nil {
			return err
		}
		pend = nil
		if err := l.drain(ctx); err != nil {
			return err
		}
		if err := r.applyDDL(ctx, l, req, msg, m); err != nil {
			return err
		}
	}
	l.releaseBodies(req, pend)
	return l.hand(ctx, ackItem{req: req, pend: pend})
}

// errStopping ends a request when the replayer stops; it is not acknowledged.
var errStopping = errors.New("replayer stopping")

// hand passes an item to the acker.
func (l *lane) hand(ctx context.Context, it ackItem) error {
	select {
	case l.acks <- it:
		return nil
	case <-l.dead:
		return fmt.Errorf("queue %d: acker stopped", l.queue.QueueId)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain waits until the acker settled every item handed to it so far.
func (l *lane) drain(ctx context.Context) error {
	done := make(chan struct{})
	if err := l.hand(ctx, ackItem{sync: done}); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-l.dead:
		return fmt.Errorf("queue %d: acker stopped", l.queue.QueueId)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ack settles items in queue order and acknowledges requests whose messages are all durable.
// ctx only bounds retries: items already handed over are still settled while the replayer
// stops, since the batcher flushes once more.
func (l *lane) ack(ctx context.Context) {
	for it := range l.acks {
		if it.sync != nil {
			close(it.sync)
			continue
		}
		if err := l.r.settle(ctx, it.pend); err != nil {
			close(l.dead)
			for range l.acks { // the worker sees dead and stops; nothing more is acknowledged
			}
			return
		}
		if it.req != nil && !it.req.dropped() {
			it.req.ack()
			l.r.lastAck.Store(time.Now().UnixNano())
		}
	}
}
