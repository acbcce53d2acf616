package stacktest

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// TestRocketMQOrderedRoundTrip sends interleaved sequences for several keys
// with the hash queue selector and a sharding key, consumes them with a push
// consumer, and checks that every message arrived, that each key stayed on one
// queue, and that each key's messages are stored in send order (queue offset
// order, the order in which Ferry's replayer consumes a queue).
func TestRocketMQOrderedRoundTrip(t *testing.T) {
	s := testenv.Get(t)
	const queues, keys, perKey = 4, 12, 25
	topic := s.NewTopic(t, queues)

	p := s.StartProducer(t, producer.WithQueueSelector(producer.NewHashQueueSelector()),
		producer.WithRetry(2), producer.WithSendMsgTimeout(5*time.Second))

	sentQueue := map[string]int{}
	for i := 0; i < perKey; i++ {
		for k := 0; k < keys; k++ {
			key := "order-" + strconv.Itoa(k)
			msg := primitive.NewMessage(topic, []byte(key+"/"+strconv.Itoa(i))).WithShardingKey(key)
			msg.WithProperty("key", key)
			msg.WithProperty("seq", strconv.Itoa(i))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			res, err := p.SendSync(ctx, msg)
			cancel()
			if err != nil || res.Status != primitive.SendOK {
				t.Fatalf("send %s/%d: %v %v", key, i, res, err)
			}
			if q, ok := sentQueue[key]; ok && q != res.MessageQueue.QueueId {
				t.Fatalf("key %s went to queue %d and %d", key, q, res.MessageQueue.QueueId)
			}
			sentQueue[key] = res.MessageQueue.QueueId
		}
	}

	got := consumeAll(t, s, topic, keys*perKey)
	for k := 0; k < keys; k++ {
		key := "order-" + strconv.Itoa(k)
		seqs := got.seqs[key]
		if len(seqs) < perKey {
			t.Fatalf("key %s: received %d of %d messages", key, len(seqs), perKey)
		}
		for i, seq := range seqs[:perKey] {
			if seq != i {
				t.Fatalf("key %s: message %d has seq %d, want send order (got %v)", key, i, seq, seqs)
			}
		}
		if got.queue[key] != sentQueue[key] {
			t.Fatalf("key %s: consumed from queue %d, sent to %d", key, got.queue[key], sentQueue[key])
		}
	}
	if distinct := len(distinctValues(sentQueue)); distinct < 2 {
		t.Fatalf("hash selector put %d keys on %d queue(s); want them spread", keys, distinct)
	}
}

type consumed struct {
	mu    sync.Mutex
	seqs  map[string][]int // per key, in queue offset order (sorted by consumeAll)
	offs  map[string][]int64
	queue map[string]int
	total int
}

// consumeAll runs a push consumer (own group and instance) from the first
// offset until want messages arrived (bounded wait), and returns each key's
// sequence numbers in queue offset order.
func consumeAll(t *testing.T, s *testenv.Stack, topic string, want int) *consumed {
	t.Helper()
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{s.NameServer})),
		consumer.WithGroupName(testenv.UniqueName("cg")),
		consumer.WithInstance(testenv.UniqueName("ci")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err != nil {
		t.Fatal(err)
	}
	got := &consumed{seqs: map[string][]int{}, offs: map[string][]int64{}, queue: map[string]int{}}
	done := make(chan struct{})
	var once sync.Once
	err = c.Subscribe(topic, consumer.MessageSelector{}, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		got.mu.Lock()
		defer got.mu.Unlock()
		for _, m := range msgs {
			seq, err := strconv.Atoi(m.GetProperty("seq"))
			if err != nil {
				// Never return the zero value on failure: it is ConsumeSuccess.
				return consumer.SuspendCurrentQueueAMoment, fmt.Errorf("bad seq %q", m.GetProperty("seq"))
			}
			key := m.GetProperty("key")
			got.seqs[key] = append(got.seqs[key], seq)
			got.offs[key] = append(got.offs[key], m.QueueOffset)
			got.queue[key] = m.Queue.QueueId
			got.total++
		}
		if got.total >= want {
			once.Do(func() { close(done) })
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("start consumer: %v", err)
	}
	t.Cleanup(func() { c.Shutdown() })
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		got.mu.Lock()
		defer got.mu.Unlock()
		t.Fatalf("consumed %d of %d messages within 90s", got.total, want)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	for key, seqs := range got.seqs {
		sort.Sort(byOffset{seqs, got.offs[key]})
	}
	return got
}

// byOffset sorts a key's sequence numbers by their queue offsets.
type byOffset struct {
	seqs []int
	offs []int64
}

func (b byOffset) Len() int           { return len(b.seqs) }
func (b byOffset) Less(i, j int) bool { return b.offs[i] < b.offs[j] }
func (b byOffset) Swap(i, j int) {
	b.seqs[i], b.seqs[j] = b.seqs[j], b.seqs[i]
	b.offs[i], b.offs[j] = b.offs[j], b.offs[i]
}

func distinctValues(m map[string]int) map[int]bool {
	out := map[int]bool{}
	for _, v := range m {
		out[v] = true
	}
	return out
}
