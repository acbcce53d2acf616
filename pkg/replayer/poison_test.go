package replayer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// poisonFixture publishes to a one-queue topic: a good row, a poison message, a good row.
type poisonFixture struct {
	st     *testenv.Stack
	topic  string
	target *mysqlTarget
	table  *sink.Table
	first  *event.Message
	last   *event.Message
}

func newPoisonFixture(t *testing.T, poison []byte) *poisonFixture {
	st := testenv.Get(t)
	f := &poisonFixture{st: st, topic: st.NewTopic(t, 1), target: newMySQLTarget(t, st)}
	f.table = sinktest.PropTable("src", "poisoned")
	row := func(id string, version uint64) *event.Message {
		vals := make([]*string, len(f.table.Columns))
		vals[0], vals[1] = event.Str("acme"), event.Str(id)
		return rowMessage(sink.Row{Table: f.table, Op: sink.OpInsert, Version: version, Values: vals}, int64(version))
	}
	f.first, f.last = row("1", 100), row("2", 300)
	pub := newPublisher(t, st, f.topic, 1)
	pub.send(f.first)
	pub.sendRaw(0, poison, "poison")
	pub.send(f.last)
	return f
}

func (f *poisonFixture) liveIDs(t *testing.T) string {
	got, err := sinktest.ReadMySQL(context.Background(), f.target.sink.DB(), f.target.viewDB, f.table)
	if err != nil {
		return "error: " + err.Error()
	}
	var ids []string
	for _, v := range got {
		ids = append(ids, *v[1])
	}
	if len(ids) == 2 && ids[0] > ids[1] {
		ids[0], ids[1] = ids[1], ids[0]
	}
	return strings.Join(ids, ",")
}

// TestPoisonHalts checks the default policy for an undecodable and an unappliable message: it
// is retried, then the replayer halts with an error naming topic, queue, offset and message id,
// having applied the message before it and not the one after it.
func TestPoisonHalts(t *testing.T) {
	table := sinktest.PropTable("src", "poisoned")
	vals := make([]*string, len(table.Columns))
	vals[0], vals[1], vals[2] = event.Str("acme"), event.Str("9"), event.Str("twelve dollars")
	badValue, err := event.Encode(rowMessage(sink.Row{Table: table, Op: sink.OpInsert, Version: 200, Values: vals}, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		poison []byte
		cause  error
	}{
		{"undecodable", []byte(`{"not":"a change event"`), event.ErrMalformed},
		{"unappliable", badValue, sink.ErrBadRow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newPoisonFixture(t, tc.poison)
			r, err := New(testConfig(f.st, f.topic), f.target.sink, "mysql", testLogger(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			err = r.Run(ctx)
			if !errors.Is(err, ErrHalted) || !errors.Is(err, tc.cause) {
				t.Fatalf("Run = %v, want a halt wrapping %v", err, tc.cause)
			}
			for _, want := range []string{"topic=" + f.topic, "queue=0", "offset=1", "msgId="} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("halt error %q does not name %q", err, want)
				}
			}
			if ids := f.liveIDs(t); ids != "1" {
				t.Fatalf("live ids after halt = %q, want only the message before the poison (1)", ids)
			}
		})
	}
}

// TestPoisonDeadLetter checks the dead-letter policy: the poison message goes to the
// dead-letter topic with its origin, and the message after it is applied.
func TestPoisonDeadLetter(t *testing.T) {
	poison := []byte(`{"id":1,"database":"src","table":"poisoned","isDdl":false,"type":"UPSERT","data":[],"ferry":{"format":1}}`)
	f := newPoisonFixture(t, poison)
	cfg := testConfig(f.st, f.topic)
	cfg.Poison = PoisonDeadLetter
	cfg.DeadLetterTopic = f.st.NewTopic(t, 1)
	_, stop := startReplayer(t, cfg, f.target)
	deadline := time.Now().Add(60 * time.Second)
	for f.liveIDs(t) != "1,2" {
		if time.Now().After(deadline) {
			t.Fatalf("live ids = %q, want 1,2 after dead-lettering the poison message", f.liveIDs(t))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatalf("replayer stopped with %v, want graceful nil", err)
	}
	got := receiveOne(t, f.st, cfg.DeadLetterTopic)
	if string(got.Body) != string(poison) {
		t.Fatalf("dead-letter body = %q, want the poison message", got.Body)
	}
	for k, want := range map[string]string{PropOriginTopic: f.topic, PropOriginQueue: "0", PropOriginOffset: "1"} {
		if v := got.GetProperty(k); v != want {
			t.Errorf("dead-letter property %s = %q, want %q", k, v, want)
		}
	}
	if !strings.Contains(got.GetProperty(PropError), "UPSERT") {
		t.Errorf("dead-letter error property %q does not explain the problem", got.GetProperty(PropError))
	}
}

// receiveOne consumes the first message of topic with a fresh group.
func receiveOne(t *testing.T, st *testenv.Stack, topic string) *primitive.MessageExt {
	t.Helper()
	got := make(chan *primitive.MessageExt, 1)
	var once sync.Once
	c, err := rocketmq.NewPushConsumer(
		consumer.WithGroupName(testenv.UniqueName("test_dlq")),
		consumer.WithInstance(testenv.UniqueName("test_dlq")),
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{st.NameServer})),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		once.Do(func() { got <- msgs[0] })
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	select {
	case m := <-got:
		return m
	case <-time.After(60 * time.Second):
		t.Fatal(fmt.Sprintf("no message on dead-letter topic %s within 60 s", topic))
	}
	return nil
}
