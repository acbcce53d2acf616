package replayer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferry-cdc/ferry/internal/retry"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// pending is a row message whose rows were submitted to the batcher. It keeps only what
// metrics need of the decoded message, not the rows nor any string into the body: a staging
// sink converted them at submit, so they are garbage while they wait for their batch, the
// body itself is released (bodies.go), and the rare retry decodes the body again (rowsOf).
type pending struct {
	msg   *primitive.MessageExt
	table string // database.table
	op    string // operation label (insert, update, delete): a constant, not a string into the body
	es    int64  // source commit time, ms
	n     int    // rows
	res   *flushResult
}

// settle waits for the batches of the pending messages. If a shared batch failed with a
// transient error (the copy's connection broke, the copy is busy), the request's messages are
// applied again as one batch; after any other error each message is applied on its own with
// retries, so one poison message cannot block the others. Released bodies are read again
// from the broker first (bodiesOf).
func (r *Replayer) settle(ctx context.Context, batch []pending) error {
	for _, p := range batch {
		err := p.res.Wait(context.Background())
		if err == nil {
			continue
		}
		bodies, berr := r.bodiesOf(ctx, batch)
		switch {
		case berr != nil && ctx.Err() != nil:
			return errors.Join(berr, ctx.Err()) // stopping: the messages are redelivered after the restart
		case berr != nil:
			return r.halt(fmt.Errorf("%w (after the batch failed: %v); nothing of these messages was acknowledged: "+
				"restart the replayer once the broker serves the queue again, and it redelivers them", berr, err))
		case sink.IsTransient(r.sink, err): // the failed batch counted as an "apply" error
			r.log.Warn("batch failed with a transient error; applying this request's messages again as one batch", "err", err)
			return r.applyTogether(ctx, batch, bodies)
		}
		r.log.Warn("batch failed; applying this request's messages one by one", "err", err)
		return r.applyEach(ctx, batch, bodies)
	}
	r.applied(batch)
	return nil
}

// applyTogether applies a request's messages as one batch, waiting out transient errors with
// doubling backoff; any other error goes to applyEach, which finds a poison message. One by
// one after a transient error (a pooled ClickHouse connection closed under it, as happened in
// the open-loop benchmark) was one insert per message: with ClickHouse's insert latency under
// load that stalled the copy for 10-15 s.
func (r *Replayer) applyTogether(ctx context.Context, batch []pending, bodies [][]byte) error {
	var rows []sink.Row
	for i, p := range batch {
		pr, err := r.rowsOf(p, bodies[i])
		if err != nil {
			return r.applyEach(ctx, batch, bodies)
		}
		rows = append(rows, pr...)
	}
	err := r.retryUpTo(ctx, 0, func() error { return r.sink.Apply(ctx, &sink.Batch{Rows: rows}) })
	switch {
	case err == nil:
		r.applied(batch)
		return nil
	case ctx.Err() != nil:
		return err // stopping: the messages are redelivered after the restart
	}
	return r.applyEach(ctx, batch, bodies)
}

func (r *Replayer) applyEach(ctx context.Context, batch []pending, bodies [][]byte) error {
	for i, p := range batch {
		rows, err := r.rowsOf(p, bodies[i])
		if err == nil {
			err = r.retry(ctx, func() error { return r.sink.Apply(ctx, &sink.Batch{Rows: rows}) })
		}
		switch {
		case err == nil:
			r.applied([]pending{p})
		case errors.Is(err, sink.ErrBadRow):
			if err := r.poison(ctx, p.msg, bodies[i], err); err != nil {
				return err
			}
		case ctx.Err() != nil:
			return err // stopping: not a halt; the message is redelivered after the restart
		default:
			return r.halt(fmt.Errorf("%s: apply failed after %d retries: %w", where(p.msg), r.cfg.Retries, err))
		}
	}
	return nil
}

// applied records metrics of committed messages. The messages of one call come from one
// queue; label lookups are done once per table and operation, not once per message (in live
// mode a message holds a row or two, and the lookups were a visible share of the CPU).
func (r *Replayer) applied(batch []pending) {
	if len(batch) == 0 {
		return
	}
	type tableOp struct{ table, op string }
	rows := map[tableOp]int{}
	lags := map[string]prometheus.Observer{}
	now := time.Now()
	for _, p := range batch {
		rows[tableOp{p.table, p.op}] += p.n
		if p.es > 0 {
			o := lags[p.table]
			if o == nil {
				o = r.metrics.LagSeconds.WithLabelValues(r.sinkName, p.table)
				lags[p.table] = o
			}
			o.Observe(now.Sub(time.UnixMilli(p.es)).Seconds())
		}
	}
	for k, n := range rows {
		r.metrics.RowsApplied.WithLabelValues(r.sinkName, k.table, k.op).Add(float64(n))
	}
	r.metrics.MessagesTotal.WithLabelValues("rows").Add(float64(len(batch)))
	r.observeBacklog(batch[len(batch)-1].msg) // the queue's latest: the gauge keeps only that
}

// rowsOf decodes a pending message's rows again from its body. It decoded when it was
// submitted, so an error here is a bad row too.
func (r *Replayer) rowsOf(p pending, body []byte) ([]sink.Row, error) {
	m, vals, err := event.DecodeColumnsShared(body, r.schemas)
	if err == nil {
		var rows []sink.Row
		if rows, _, err = r.tables.toRows(m, vals); err == nil {
			return rows, nil
		}
	}
	return nil, fmt.Errorf("%w: decode again for a retry: %v", sink.ErrBadRow, err)
}

func opLabel(t string) string {
	switch t {
	case event.TypeInsert:
		return "insert"
	case event.TypeUpdate:
		return "update"
	}
	return "delete"
}

// observeBacklog sets the queue's backlog from the broker's max offset carried by the message.
func (r *Replayer) observeBacklog(msg *primitive.MessageExt) {
	maxOff, err := strconv.ParseInt(msg.GetProperty(primitive.PropertyMaxOffset), 10, 64)
	if err != nil || msg.Queue == nil {
		return
	}
	r.metrics.QueueBacklog.WithLabelValues(queueLabel(msg)).Set(float64(max(0, maxOff-msg.QueueOffset-1)))
}

func queueLabel(msg *primitive.MessageExt) string {
	if msg.Queue == nil {
		return "?"
	}
	return msg.Queue.BrokerName + ":" + strconv.Itoa(msg.Queue.QueueId)
}

// applyDDL handles a queue's copy of a DDL message once every earlier row of the queue is
// durable: it waits at the barrier until every owned queue reached the version, which is then
// applied once with no batch in flight. Every failure halts: a DDL is never dead-lettered,
// since rows after it depend on it.
func (r *Replayer) applyDDL(ctx context.Context, l *lane, req *request, msg *primitive.MessageExt, m *event.Message) error {
	d := toDDL(m)
	err := r.barrier.wait(ctx, ddlStep{
		queue:   l.queue,
		version: d.Version,
		queues:  m.Ferry.Queues,
		dropped: req.dropped,
		inSink:  func() (bool, error) { return r.ddlInSink(ctx, d) },
		apply: func() error {
			return r.retry(ctx, func() error {
				return r.batcher.exclusive(ctx, func() error { return r.sink.ApplyDDL(ctx, d) })
			})
		},
	})
	if err != nil && (errors.Is(err, errDropped) || ctx.Err() != nil && !errors.Is(err, sink.ErrDDLHalt)) {
		return err // stopping or rebalanced: the DDL is redelivered
	}
	if err != nil {
		r.metrics.DDL.WithLabelValues("halted").Inc()
		r.metrics.Errors.WithLabelValues("ddl").Inc()
		return r.halt(fmt.Errorf("%s: %w", where(msg), err))
	}
	r.metrics.DDL.WithLabelValues("handled").Inc()
	r.metrics.MessagesTotal.WithLabelValues("ddl").Inc()
	return nil
}

// ddlChecker is implemented by sinks that can tell whether a DDL version was already applied
// to the copy of a source database (both sinks can).
type ddlChecker interface {
	DDLApplied(ctx context.Context, sourceDB string, version uint64) (bool, error)
}

// ddlInSink reports whether the sink already applied d's version (false if it cannot tell).
func (r *Replayer) ddlInSink(ctx context.Context, d *sink.DDL) (bool, error) {
	c, ok := r.sink.(ddlChecker)
	if !ok {
		return false, nil
	}
	return c.DDLApplied(ctx, d.Database, d.Version)
}

// retry runs fn until it succeeds, fails with a DDL halt, or Retries retries with doubling
// backoff (up to 30 s) are used up. A transient error of the copy (sink.IsTransient: the copy
// server is down, restarting, overloaded, or the connection broke) does not use up retries: the
// replayer waits for the copy as long as it takes instead of halting the pipeline, and
// ferry_replayer_errors_total{kind="sink_transient"} and the warnings show the wait.
func (r *Replayer) retry(ctx context.Context, fn func() error) error {
	return r.retryUpTo(ctx, r.cfg.Retries, fn)
}

// retryUpTo is retry with at most retries retries of errors that are not transient.
func (r *Replayer) retryUpTo(ctx context.Context, retries int, fn func() error) error {
	return r.retryKind(ctx, retries, "sink_transient", func(err error) bool { return sink.IsTransient(r.sink, err) }, fn)
}

// retryKind runs fn until it succeeds, fails with a DDL halt, or fails more than retries times
// with errors transient does not accept; accepted ones are waited out without limit and
// counted as ferry_replayer_errors_total{kind=kind}.
func (r *Replayer) retryKind(ctx context.Context, retries int, kind string, transient func(error) bool, fn func() error) error {
	backoff := retry.Backoff{First: r.cfg.RetryBackoff, Max: 30 * time.Second}
	var err error
	for attempt, failures := 0, 0; ; attempt++ {
		if err = fn(); err == nil || errors.Is(err, sink.ErrDDLHalt) {
			return err
		}
		passing := transient(err)
		if passing {
			r.metrics.Errors.WithLabelValues(kind).Inc()
		} else if failures++; failures > retries {
			return err
		}
		delay := backoff.Next()
		r.log.Warn("retrying after error", "attempt", attempt+1, "transient", passing,
			"retries_left", retries-failures, "backoff", delay, "err", err)
		if cerr := retry.Sleep(ctx, delay); cerr != nil {
			return errors.Join(err, cerr)
		}
	}
}

// where names a message for operators: topic, queue, offset, message id.
func where(msg *primitive.MessageExt) string {
	topic, queue := origin(msg)
	return fmt.Sprintf("message topic=%s queue=%d offset=%d msgId=%s", topic, queue, msg.QueueOffset, msg.MsgId)
}

// origin is the topic and queue a message was pulled from (queue -1 if it has none).
func origin(msg *primitive.MessageExt) (topic string, queue int) {
	if msg.Queue == nil {
		return msg.Topic, -1
	}
	return msg.Queue.Topic, msg.Queue.QueueId
}
