package replayer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestOffsetGapHalts stores an offset for the group that the broker does not have (beyond the
// queue's end, the deterministic stand-in for commit logs deleted by retention): the broker
// answers OFFSET_ILLEGAL, where the client would move on silently. The replayer must halt
// naming the queue and the offset range (issue 15 item 7). With other queues busy, the halt
// shuts the consumer down while their pulls deliver messages: the client closed a queue's
// message channel under a pull's send (a data race and a possible panic that CI's -race run
// caught when a broker deleted commit logs on a full disk; FERRY-PATCH.md patch 8).
func TestOffsetGapHalts(t *testing.T) {
	tests := []struct {
		name   string
		queues int
		busy   int // messages sent to all queues while the replayer starts and halts
	}{
		{name: "idle single queue", queues: 1},
		{name: "other queues pulling", queues: 8, busy: 300},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := testenv.Get(t)
			topic := st.NewTopic(t, tc.queues)
			target := newMySQLTarget(t, st)
			pub := newPublisher(t, st, topic, tc.queues)
			table := sinktest.OrdersTable("shop", "gap")
			rows := sinktest.OrderRows(rand.New(rand.NewPCG(1, 1)), table, 1, 1+tc.busy)
			pub.send(rowMessage(rows[0], 1))
			cfg := testConfig(st, topic)
			gapQueue := setGroupOffset(t, st, cfg.Group, topic, 1000)
			stopTraffic := sendInBackground(pub, rows[1:])
			r, stop := startReplayer(t, cfg, target)
			waitHalted(t, r)
			err := stop()
			stopTraffic()
			want := []string{"offset gap", fmt.Sprintf("queue=%d:", gapQueue), "1000"}
			for _, w := range want {
				if !errors.Is(err, ErrHalted) || !strings.Contains(err.Error(), w) {
					t.Fatalf("halt error %v does not name %q (the gap, its queue and offset)", err, w)
				}
			}
			if tc.busy == 0 {
				if n, _ := target.Count(context.Background(), "gap"); n != 0 {
					t.Fatalf("copy has %d rows: messages outside the stored offset were applied", n)
				}
			}
		})
	}
}

// waitHalted waits up to a minute for r to halt.
func waitHalted(t *testing.T, r *Replayer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !errors.Is(r.Ready(), ErrHalted) {
		if time.Now().After(deadline) {
			t.Fatalf("replayer did not halt on the offset gap (ready: %v)", r.Ready())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sendInBackground sends rows (one message each) until they are sent, a send fails or stop is
// called; stop waits for the sender.
func sendInBackground(pb *publisher, rows []sink.Row) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		for i, r := range rows {
			select {
			case <-done:
				return
			default:
			}
			m := rowMessage(r, int64(i+2))
			body, err := event.Encode(m)
			if err != nil {
				return
			}
			msg := primitive.NewMessage(pb.topic, body)
			msg.WithProperty(propQueue, strconv.Itoa(event.QueueFor(m.Database, m.Table, m.RowKey(0), pb.queues)))
			if _, err := pb.p.SendSync(context.Background(), msg); err != nil {
				return
			}
		}
	}()
	return func() { close(done); <-exited }
}

// setGroupOffset stores offset for one queue of topic in group, with a pull consumer of the
// group, and returns the queue's id.
func setGroupOffset(t *testing.T, st *testenv.Stack, group, topic string, offset int64) int {
	t.Helper()
	c, err := consumer.NewPullConsumer(
		consumer.WithGroupName(group),
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{st.NameServer})),
		consumer.WithInstance(testenv.UniqueName("offset_setter")),
		consumer.WithConsumerModel(consumer.Clustering),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(topic, consumer.MessageSelector{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Shutdown() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for mq := range c.GetConsumerRunningInfo(false).MQTable {
			if mq.Topic == topic {
				if err := c.UpdateOffset(&mq, offset); err != nil {
					t.Fatal(err)
				}
				if err := c.PersistOffset(context.Background(), topic); err != nil {
					t.Fatal(err)
				}
				return mq.QueueId
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("offset setter got no queue")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
