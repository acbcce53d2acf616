package backfill

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/apache/rocketmq-client-go/v2"

	"github.com/ferry-cdc/ferry/pkg/canal"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/mq"
	"github.com/ferry-cdc/ferry/pkg/publish"
)

// CanalPublisher publishes backfill messages through the tailer's publisher (pkg/publish): same
// topic, queue placement (fnv32a of table + row key), batching, keys, tags and SEND_OK handling
// as streamed changes.
type CanalPublisher struct {
	pub  *publish.Publisher
	prod rocketmq.Producer
}

var _ Publisher = (*CanalPublisher)(nil)

// NewCanalPublisher starts a RocketMQ producer and a publish.Publisher for the tailer config cfg
// (name server, topic, producer group, batch limits, timeouts). The topic must exist.
func NewCanalPublisher(ctx context.Context, cfg canal.Config, log *slog.Logger) (*CanalPublisher, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	queues, err := mq.QueueCount(qctx, cfg.NameServer, cfg.Topic)
	if err != nil {
		return nil, fmt.Errorf("read queue count of topic %s: %w (create the topic first)", cfg.Topic, err)
	}
	prod, err := publish.NewProducer(cfg.NameServer, cfg.ProducerGroup, cfg.SendTimeout)
	if err != nil {
		return nil, err
	}
	pub, err := publish.New(cfg.PublishConfig(queues), prod, log, nil)
	if err != nil {
		prod.Shutdown() //nolint:errcheck // already failing
		return nil, err
	}
	return &CanalPublisher{pub: pub, prod: prod}, nil
}

// Queues returns the topic's queue count.
func (p *CanalPublisher) Queues(context.Context) (int, error) { return p.pub.Queues(), nil }

// Publish sends msgs and returns after SEND_OK for all of them.
func (p *CanalPublisher) Publish(ctx context.Context, msgs []Outgoing) error {
	evs := make([]event.Message, len(msgs))
	for i, o := range msgs {
		evs[i] = *o.Msg
	}
	return p.pub.Publish(ctx, evs)
}

// Close waits (bounded by ctx) for outstanding sends, then stops the producer.
func (p *CanalPublisher) Close(ctx context.Context) error {
	err := p.pub.Drain(ctx)
	p.pub.Close()
	if serr := p.prod.Shutdown(); serr != nil && err == nil {
		err = fmt.Errorf("stop producer: %w", serr)
	}
	return err
}
