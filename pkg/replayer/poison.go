package replayer

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// ErrHalted wraps the error that stopped the replayer; the command exits non-zero with it.
var ErrHalted = errors.New("replayer halted")

// Dead-letter message properties carrying the origin of a poison message.
const (
	PropOriginTopic  = "FERRY_ORIGIN_TOPIC"
	PropOriginQueue  = "FERRY_ORIGIN_QUEUE"
	PropOriginOffset = "FERRY_ORIGIN_OFFSET"
	PropOriginMsgID  = "FERRY_ORIGIN_MSGID"
	PropError        = "FERRY_ERROR"
)

// sender is the part of a RocketMQ producer the dead-letter policy needs.
type sender interface {
	SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error)
}

// poison applies the poison policy to a message that cannot be decoded or applied: under
// dead-letter it is published, with body (the message's own, or read again from the broker
// after the lane released it), to the dead-letter topic (and then acknowledged by the caller);
// otherwise - or if publishing fails - the replayer halts naming the message.
func (r *Replayer) poison(ctx context.Context, msg *primitive.MessageExt, body []byte, cause error) error {
	if ctx.Err() != nil {
		return errors.Join(cause, ctx.Err()) // stopping: decide after the restart
	}
	if r.cfg.Poison == PoisonDeadLetter && r.dlq != nil {
		err := r.deadLetter(ctx, msg, body, cause)
		if err == nil {
			r.log.Error("poison message moved to the dead-letter topic", "message", where(msg),
				"dead_letter_topic", r.cfg.DeadLetterTopic, "err", cause)
			return nil
		}
		cause = fmt.Errorf("%w (and publishing to dead-letter topic %s failed: %v)", cause, r.cfg.DeadLetterTopic, err)
	}
	return r.halt(fmt.Errorf("poison %s: %w; fix the cause and restart, or run with --poison dead-letter to move it aside", where(msg), cause))
}

func (r *Replayer) deadLetter(ctx context.Context, msg *primitive.MessageExt, body []byte, cause error) error {
	dl := primitive.NewMessage(r.cfg.DeadLetterTopic, body)
	topic, queue := origin(msg)
	dl.WithProperty(PropOriginTopic, topic)
	dl.WithProperty(PropOriginQueue, strconv.Itoa(queue))
	dl.WithProperty(PropOriginOffset, strconv.FormatInt(msg.QueueOffset, 10))
	dl.WithProperty(PropOriginMsgID, msg.MsgId)
	errText := cause.Error()
	if len(errText) > 1000 {
		errText = errText[:1000]
	}
	dl.WithProperty(PropError, errText)
	dl.WithKeys([]string{msg.MsgId})
	res, err := r.dlq.SendSync(ctx, dl)
	if err != nil {
		r.metrics.Errors.WithLabelValues("dead_letter").Inc()
		return err
	}
	if res.Status != primitive.SendOK {
		r.metrics.Errors.WithLabelValues("dead_letter").Inc()
		return fmt.Errorf("dead-letter send status %d", res.Status)
	}
	r.metrics.DeadLettered.Inc()
	r.metrics.MessagesTotal.WithLabelValues("dead_letter").Inc()
	return nil
}

// halt records the first fatal error, marks the replayer halted and wakes Run. It returns
// the error wrapped in ErrHalted.
func (r *Replayer) halt(err error) error {
	r.haltOnce.Do(func() {
		r.haltErr = fmt.Errorf("%w: %w", ErrHalted, err)
		r.metrics.Halted.Set(1)
		r.log.Error("replayer halted", "err", err)
		close(r.haltCh)
	})
	return r.haltErr
}
