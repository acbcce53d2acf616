package replayer

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestOffsetGapHalts stores an offset for the group that the broker does not have (beyond the
// queue's end, the deterministic stand-in for commit logs deleted by retention): the broker
// answers OFFSET_ILLEGAL, where the client would move on silently. The replayer must halt
// naming the queue and the offset range (issue 15 item 7).
func TestOffsetGapHalts(t *testing.T) {
	st := testenv.Get(t)
	topic := st.NewTopic(t, 1)
	target := newMySQLTarget(t, st)
	pub := newPublisher(t, st, topic, 1)
	table := sinktest.OrdersTable("shop", "gap")
	pub.send(rowMessage(sinktest.OrderRows(rand.New(rand.NewPCG(1, 1)), table, 1, 1)[0], 1))
	cfg := testConfig(st, topic)
	setGroupOffset(t, st, cfg.Group, topic, 1000)
	r, stop := startReplayer(t, cfg, target)
	deadline := time.Now().Add(60 * time.Second)
	for !errors.Is(r.Ready(), ErrHalted) {
		if time.Now().After(deadline) {
			t.Fatalf("replayer did not halt on the offset gap (ready: %v)", r.Ready())
		}
		time.Sleep(100 * time.Millisecond)
	}
	err := stop()
	if !errors.Is(err, ErrHalted) || !strings.Contains(err.Error(), "offset gap") || !strings.Contains(err.Error(), "queue=0") ||
		!strings.Contains(err.Error(), "1000") {
		t.Fatalf("halt error %v does not name the gap, queue and offset", err)
	}
	if n, _ := target.Count(context.Background(), "gap"); n != 0 {
		t.Fatalf("copy has %d rows: messages outside the stored offset were applied", n)
	}
}

// setGroupOffset stores offset for queue 0 of topic in group, with a pull consumer of the group.
func setGroupOffset(t *testing.T, st *testenv.Stack, group, topic string, offset int64) {
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
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("offset setter got no queue")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
