package testenv

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/ferry-cdc/ferry/pkg/mq"
)

// init routes rocketmq-client-go's logrus output (info-level chatter on
// stderr) through pkg/mq at warning level; a test calling mq.SetLogger later wins.
func init() {
	mq.SetLogger(slog.New(slog.NewTextHandler(os.Stderr, nil)))
}

// QuietRocketMQ logs only rocketmq-client-go's errors, for tests whose brokers' warnings
// (retries while a new topic's route spreads) would bury the test's own output.
func QuietRocketMQ() {
	mq.SetLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
}

// ConsumeFunc handles a batch of messages in a test's push consumer.
type ConsumeFunc = func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error)

// StartConsumer starts a push consumer of topic in a new group (with its own instance) from the
// first offset, with opts added, and shuts it down when the test ends (fatal on any error).
func (s *Stack) StartConsumer(t testing.TB, topic string, fn ConsumeFunc, opts ...consumer.Option) {
	t.Helper()
	c, err := rocketmq.NewPushConsumer(append([]consumer.Option{
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{s.NameServer})),
		consumer.WithGroupName(UniqueName("test_cg")),
		consumer.WithInstance(UniqueName("test_ci")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}, opts...)...)
	if err != nil {
		t.Fatalf("testenv: create consumer: %v", err)
	}
	if err := c.Subscribe(topic, consumer.MessageSelector{}, fn); err != nil {
		t.Fatalf("testenv: subscribe to %s: %v", topic, err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("testenv: start consumer of %s: %v", topic, err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })
}

// StartProducer starts a producer in a new group (with its own instance), with opts added, and
// shuts it down when the test ends (fatal on any error).
func (s *Stack) StartProducer(t testing.TB, opts ...producer.Option) rocketmq.Producer {
	t.Helper()
	p, err := rocketmq.NewProducer(append([]producer.Option{
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{s.NameServer})),
		producer.WithGroupName(UniqueName("test_pg")),
		producer.WithInstanceName(UniqueName("test_pi")),
	}, opts...)...)
	if err != nil {
		t.Fatalf("testenv: create producer: %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("testenv: start producer: %v", err)
	}
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// NewTopic creates a uniquely named topic with the given number of queues on
// the stack's broker and returns its name once the name server routes it
// (fatal otherwise). Topics are left on the broker (they are small).
func (s *Stack) NewTopic(t testing.TB, queues int) string {
	t.Helper()
	name := UniqueName("ferry_" + testPrefix(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := mq.EnsureTopic(ctx, s.NameServer, s.BrokerAddr, name, queues); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return name
}
