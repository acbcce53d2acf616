package publishtest

import (
	"context"
	"sort"
	"sync"
	"testing"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
)

// Consumed is one message read back from the broker: where it is stored, the change event, and
// its RocketMQ properties.
type Consumed struct {
	Queue       int
	Offset      int64
	Msg         *event.Message
	Tags, Keys  string
	ShardingKey string
	MsgID       string
}

// TopicReader consumes a topic from the first offset and keeps every message by queue and offset
// (a push consumer, not orderly: Messages puts them in offset order).
type TopicReader struct {
	mu   sync.Mutex
	msgs map[[2]int64]Consumed // (queue, offset) -> message
	bad  []string
}

// ReadTopic starts a TopicReader on topic of the stack's broker, in its own consumer group; it
// stops with the test.
func ReadTopic(t testing.TB, st *testenv.Stack, topic string) *TopicReader {
	t.Helper()
	r := &TopicReader{msgs: map[[2]int64]Consumed{}}
	name := testenv.UniqueName("ferry_test_reader")
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNameServer(primitive.NamesrvAddr{st.NameServer}),
		consumer.WithGroupName(name), consumer.WithInstance(name),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumeMessageBatchMaxSize(32),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(topic, consumer.MessageSelector{}, r.consume); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown() })
	return r
}

func (r *TopicReader) consume(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		ev, err := event.Decode(m.Body)
		if err != nil {
			r.bad = append(r.bad, err.Error())
			continue
		}
		r.msgs[[2]int64{int64(m.Queue.QueueId), m.QueueOffset}] = Consumed{Queue: m.Queue.QueueId, Offset: m.QueueOffset,
			Msg: ev, Tags: m.GetTags(), Keys: m.GetKeys(), ShardingKey: m.GetShardingKey(), MsgID: m.MsgId}
	}
	return consumer.ConsumeSuccess, nil
}

// Len returns the number of messages consumed so far.
func (r *TopicReader) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// Messages returns the messages consumed so far, queue by queue in offset order; it fails the
// test if any message did not decode.
func (r *TopicReader) Messages(t testing.TB) []Consumed {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Fatalf("undecodable messages in the topic: %v", r.bad[:min(3, len(r.bad))])
	}
	out := make([]Consumed, 0, len(r.msgs))
	for _, m := range r.msgs {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Queue != out[j].Queue {
			return out[i].Queue < out[j].Queue
		}
		return out[i].Offset < out[j].Offset
	})
	return out
}

// Ordered returns the rows consumed so far, queue by queue in offset order, and the DDL count.
func (r *TopicReader) Ordered(t testing.TB) (rows []Change, ddl int) {
	t.Helper()
	msgs := r.Messages(t)
	recs := make([]Recorded, len(msgs))
	for i, m := range msgs {
		recs[i] = Recorded{Queue: m.Queue, Msg: m.Msg}
	}
	rows, d := Flatten(recs)
	return rows, len(d)
}
