package publish

import (
	"context"
	"errors"
	"fmt"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/ferry-cdc/ferry/pkg/orderflow"
)

// ErrNotStored is returned (wrapped) when the broker answered but did not store the message.
var ErrNotStored = errors.New("broker did not store the message")

// Message is one message to send.
type Message struct {
	Topic string
	Key   string // message key (order number / request id), for lookups on the broker
	Tag   string
	Body  []byte
}

// Publisher sends messages. done, if not nil, is called exactly once with the verdict: nil means
// the broker stored the message (SEND_OK) in sync and async mode, or the write happened in
// one-way mode. A non-nil error from Publish means done will not be called.
type Publisher interface {
	Publish(ctx context.Context, msg Message, done func(error)) error
	Mode() Mode
	Shutdown() error
}

var _ Publisher = (*RocketMQ)(nil)

// RocketMQ is a Publisher over rocketmq-client-go's producer.
type RocketMQ struct {
	cfg Config
	p   rocketmq.Producer
}

// NewRocketMQ validates cfg and starts a producer.
func NewRocketMQ(cfg Config) (*RocketMQ, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	inst := cfg.Instance
	if inst == "" {
		inst = orderflow.InstanceName("pub")
	}
	p, err := rocketmq.NewProducer(
		producer.WithNameServer([]string{cfg.NameServer}),
		producer.WithGroupName(cfg.Group),
		producer.WithInstanceName(inst),
		producer.WithRetry(cfg.Retries),
		producer.WithSendMsgTimeout(cfg.Timeout),
	)
	if err != nil {
		return nil, fmt.Errorf("create producer: %w", err)
	}
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("start producer: %w", err)
	}
	return &RocketMQ{cfg: cfg, p: p}, nil
}

// Mode returns the configured send mode.
func (r *RocketMQ) Mode() Mode { return r.cfg.Mode }

// Shutdown stops the producer.
func (r *RocketMQ) Shutdown() error { return r.p.Shutdown() }

// Publish sends msg in the configured mode; see Publisher.
func (r *RocketMQ) Publish(ctx context.Context, msg Message, done func(error)) error {
	if done == nil {
		done = func(error) {}
	}
	m := primitive.NewMessage(msg.Topic, msg.Body)
	if msg.Key != "" {
		m.WithKeys([]string{msg.Key})
	}
	if msg.Tag != "" {
		m.WithTag(msg.Tag)
	}
	switch r.cfg.Mode {
	case ModeAsync:
		err := r.p.SendAsync(ctx, func(_ context.Context, res *primitive.SendResult, err error) {
			done(verdict(msg, res, err))
		}, m)
		if err != nil {
			return fmt.Errorf("send %s key %s async: %w", msg.Topic, msg.Key, err)
		}
		return nil
	case ModeOneWay:
		if err := r.p.SendOneWay(ctx, m); err != nil {
			return fmt.Errorf("send %s key %s one-way: %w", msg.Topic, msg.Key, err)
		}
		done(nil)
		return nil
	default:
		res, err := r.p.SendSync(ctx, m)
		if err := verdict(msg, res, err); err != nil {
			return err
		}
		done(nil)
		return nil
	}
}

func verdict(msg Message, res *primitive.SendResult, err error) error {
	if err != nil {
		return fmt.Errorf("send %s key %s: %w", msg.Topic, msg.Key, err)
	}
	if res == nil || res.Status != primitive.SendOK {
		status := "no result"
		if res != nil {
			status = res.String()
		}
		return fmt.Errorf("send %s key %s: %w: %s", msg.Topic, msg.Key, ErrNotStored, status)
	}
	return nil
}
