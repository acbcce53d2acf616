package publish

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/mq"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// gatedSender passes sends to a real producer, holding the first call until gate closes (so the
// messages published meanwhile wait on their lanes and go out as batches), and records every
// call's messages in order (a batch body taken apart into its messages).
type gatedSender struct {
	next  Sender
	gate  chan struct{}
	mu    sync.Mutex
	calls [][]*primitive.Message
}

func (g *gatedSender) SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error) {
	<-g.gate
	res, err := g.next.SendSync(ctx, msgs...)
	if err == nil && res != nil && res.Status == primitive.SendOK {
		parts, uerr := mq.Unbatch(msgs)
		if uerr != nil {
			return nil, uerr
		}
		for _, m := range parts {
			m.Body = bytes.Clone(m.Body) // the publisher reuses the batch body after SEND_OK
		}
		g.mu.Lock()
		g.calls = append(g.calls, parts)
		g.mu.Unlock()
	}
	return res, err
}

// TestBatchSendConsumedAsSeparateMessages sends many messages per queue through the real broker
// in batch calls and consumes the topic with RocketMQ's push consumer: every
// message of a batch must come back as a message of its own, on the lane's queue, in send order,
// with its own properties (tag, keys, sharding key, unique id).
func TestBatchSendConsumedAsSeparateMessages(t *testing.T) {
	st := testenv.Get(t)
	topic := st.NewTopic(t, 2)
	prod, err := NewProducer(st.NameServer, testenv.UniqueName("ferry_test_batch"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prod.Shutdown() })
	gs := &gatedSender{next: prod, gate: make(chan struct{})}
	pub, err := New(Config{Topic: topic, Queues: 2, MaxBatchRows: 2, MaxBatchBytes: 1 << 20,
		SendTimeout: 5 * time.Second, MaxRetryDelay: time.Second, QueueBuffer: 64}, gs, publishtest.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	var msgs []event.Message // 6 tables x 5 rows, 2 rows per message: about 9 messages per queue
	for tb := 0; tb < 6; tb++ {
		m := event.Message{Database: "shop", Table: fmt.Sprintf("t%d", tb), PKNames: []string{"id"}, Type: event.TypeInsert,
			Ferry: &event.Meta{Format: 1, Columns: []string{"id", "v"}}}
		for i := 0; i < 5; i++ {
			m.Data = append(m.Data, map[string]*string{"id": event.Str(fmt.Sprint(i)), "v": event.Str(fmt.Sprint(tb*10 + i))})
			m.Ferry.Versions = append(m.Ferry.Versions, uint64(tb*10+i+1))
		}
		msgs = append(msgs, m)
	}
	done := make(chan error, 1)
	go func() { done <- pub.Publish(context.Background(), msgs) }()
	for deadline := time.Now().Add(10 * time.Second); pub.Pending() < 16; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages sealed", pub.Pending())
		}
	}
	close(gs.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var sent []*primitive.Message
	batched := 0
	for _, c := range gs.calls {
		for _, m := range c {
			if m.Queue.QueueId != c[0].Queue.QueueId {
				t.Fatalf("one call carried queues %d and %d", c[0].Queue.QueueId, m.Queue.QueueId)
			}
		}
		if len(c) > 1 {
			batched++
		}
		sent = append(sent, c...)
	}
	if batched == 0 {
		t.Fatalf("%d calls, none with more than one message: batching not exercised", len(gs.calls))
	}
	t.Logf("%d messages in %d send calls", len(sent), len(gs.calls))
	checkConsumedAsSent(t, publishtest.ReadTopic(t, st, topic), sent)
}

// checkConsumedAsSent waits until the topic holds len(sent) messages and compares them, queue by
// queue in offset order, with the sent messages in send order.
func checkConsumedAsSent(t *testing.T, r *publishtest.TopicReader, sent []*primitive.Message) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); r.Len() < len(sent); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("consumed %d of %d messages", r.Len(), len(sent))
		}
	}
	got := map[[2]int64]publishtest.Consumed{}
	for _, c := range r.Messages(t) {
		got[[2]int64{int64(c.Queue), c.Offset}] = c
	}
	if len(got) != len(sent) {
		t.Fatalf("consumed %d messages, sent %d", len(got), len(sent))
	}
	next := map[int]int64{} // queue -> next offset
	ids := map[string]bool{}
	for _, m := range sent {
		q := m.Queue.QueueId
		k := [2]int64{int64(q), next[q]}
		next[q]++
		c, ok := got[k]
		if !ok {
			t.Fatalf("queue %d offset %d: no message (offsets must follow send order)", q, k[1])
		}
		want, err := event.Decode(m.Body)
		if err != nil {
			t.Fatal(err)
		}
		if c.Msg.Table != want.Table || fmt.Sprint(c.Msg.Ferry.Versions) != fmt.Sprint(want.Ferry.Versions) {
			t.Errorf("queue %d offset %d: %s %v, sent %s %v", q, k[1], c.Msg.Table, c.Msg.Ferry.Versions, want.Table, want.Ferry.Versions)
		}
		if c.Tags != m.GetTags() || c.Keys != m.GetKeys() || c.ShardingKey != m.GetShardingKey() {
			t.Errorf("queue %d offset %d: properties tag %q keys %q sharding %q, sent %q %q %q", q, k[1],
				c.Tags, c.Keys, c.ShardingKey, m.GetTags(), m.GetKeys(), m.GetShardingKey())
		}
		if c.MsgID == "" || ids[c.MsgID] {
			t.Errorf("queue %d offset %d: message id %q empty or repeated", q, k[1], c.MsgID)
		}
		ids[c.MsgID] = true
	}
}
