package consumers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/pkg/orderflow"
)

// ErrConfig marks an invalid consumer configuration.
var ErrConfig = errors.New("invalid consumer config")

// Config configures the order-paid consumers.
type Config struct {
	NameServer  string `yaml:"name-server"`   // RocketMQ name server host:port
	Topic       string `yaml:"paid-topic"`    // order-paid topic
	GroupPrefix string `yaml:"group-prefix"`  // group = prefix + "_" + handler name
	MaxRetries  int32  `yaml:"max-reconsume"` // redeliveries before the broker moves a message to the group's DLQ
}

// DefaultConfig returns consumers of order_pay_success in groups ferry_orderflow_<name>, with
// 16 redeliveries before a message goes to the broker's dead-letter queue %DLQ%<group>.
func DefaultConfig() Config {
	return Config{NameServer: "127.0.0.1:9876", Topic: orderflow.TopicOrderPaySuccess,
		GroupPrefix: "ferry_orderflow", MaxRetries: 16}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.NameServer == "":
		return fmt.Errorf("%w: empty name server: set host:port", ErrConfig)
	case c.Topic == "":
		return fmt.Errorf("%w: empty topic: set the order-paid topic", ErrConfig)
	case c.GroupPrefix == "":
		return fmt.Errorf("%w: empty group prefix", ErrConfig)
	case c.MaxRetries < 1:
		return fmt.Errorf("%w: max reconsume %d: use 1 or more", ErrConfig, c.MaxRetries)
	}
	return nil
}

// Apply runs h for m in one transaction and reports whether it changed anything.
func Apply(ctx context.Context, db *sql.DB, h Handler, m orderflow.OrderPaid) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("%s: begin: %w", h.Name(), err)
	}
	applied, err := h.Handle(ctx, tx, m)
	if err != nil {
		_ = tx.Rollback()
		return false, fmt.Errorf("%s: order %d: %w", h.Name(), m.OrderID, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("%s: order %d: commit: %w", h.Name(), m.OrderID, err)
	}
	return applied, nil
}

// Consumer is one handler behind one RocketMQ push consumer (its own group).
type Consumer struct {
	h       Handler
	db      *sql.DB
	pc      rocketmq.PushConsumer
	metrics *Metrics
	log     *slog.Logger
	group   string
}

// Start subscribes h to cfg.Topic in group cfg.GroupPrefix_<name> and starts consuming. A new
// group starts from the first offset of the topic, so no message sent before it existed is missed.
func Start(db *sql.DB, h Handler, cfg Config, m *Metrics, log *slog.Logger) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Consumer{h: h, db: db, metrics: m, log: log, group: cfg.GroupPrefix + "_" + h.Name()}
	pc, err := rocketmq.NewPushConsumer(append(orderflow.ConsumerOptions(cfg.NameServer, c.group, h.Name()),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithMaxReconsumeTimes(cfg.MaxRetries),
	)...)
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", c.group, err)
	}
	if err := pc.Subscribe(cfg.Topic, consumer.MessageSelector{}, c.consume); err != nil {
		return nil, fmt.Errorf("subscribe %s to %s: %w", c.group, cfg.Topic, err)
	}
	if err := pc.Start(); err != nil {
		return nil, fmt.Errorf("start consumer %s: %w", c.group, err)
	}
	c.pc = pc
	return c, nil
}

// Group returns the consumer group name.
func (c *Consumer) Group() string { return c.group }

// Shutdown stops consuming. RocketMQ's Shutdown does not wait for running callbacks and offsets
// are persisted every 5 s, so a restart redelivers recent messages; the handlers make that harmless.
func (c *Consumer) Shutdown() error { return c.pc.Shutdown() }

// consume applies a batch. Every return is explicit: ConsumeSuccess is the zero value, so an
// error path must return ConsumeRetryLater or the message would be acknowledged unapplied.
func (c *Consumer) consume(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	name := c.h.Name()
	for _, msg := range msgs {
		m, err := orderflow.DecodeOrderPaid(msg.Body)
		if err != nil {
			// Retried, then moved to %DLQ%<group> by the broker after MaxRetries: never acked unapplied.
			c.metrics.Failed.WithLabelValues(name).Inc()
			c.log.Error("undecodable order-paid message; it will be retried and then dead-lettered",
				"group", c.group, "msg_id", msg.MsgId, "queue", msg.Queue.QueueId, "offset", msg.QueueOffset, "err", err)
			return consumer.ConsumeRetryLater, err
		}
		applied, err := Apply(ctx, c.db, c.h, m)
		if err != nil {
			c.metrics.Failed.WithLabelValues(name).Inc()
			c.log.Warn("order-paid message not applied; will be redelivered", "group", c.group,
				"msg_id", msg.MsgId, "queue", msg.Queue.QueueId, "offset", msg.QueueOffset, "err", err)
			return consumer.ConsumeRetryLater, err
		}
		if applied {
			c.metrics.Handled.WithLabelValues(name).Inc()
		} else {
			c.metrics.Duplicates.WithLabelValues(name).Inc()
		}
		c.metrics.Lag.WithLabelValues(name).Observe(time.Since(time.UnixMilli(msg.BornTimestamp)).Seconds())
	}
	return consumer.ConsumeSuccess, nil
}
