package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/mq"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// sizeLimitSender refuses, as the broker does for a body over its maxMessageSize, every call
// carrying more than max messages, and passes the others to next. It counts both, and holds
// every call until gate closes (so that messages wait on their lane and go out together),
// signalling entered as each call arrives.
type sizeLimitSender struct {
	next             *publishtest.Recorder
	max              int
	gate             chan struct{}
	entered          chan struct{}
	mu               sync.Mutex
	refused, allowed int
}

func (s *sizeLimitSender) SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error) {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-s.gate
	parts, err := mq.Unbatch(msgs)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(parts) > s.max {
		s.refused++
		return nil, errors.New("CODE: 13  DESC: the message body size over max value, MAX: 4194304")
	}
	s.allowed++
	return s.next.SendSync(ctx, msgs...)
}

// TestTooLargeBatchSplits: a batch call the broker refuses for its size is split in halves
// (sharing the batch body) until each half goes through; every message arrives once, in order,
// and the checkpoint's acknowledgements cover them all.
//
// A first one-row message holds the lane's only send call at the gate while the batch is sealed,
// so that the batch's messages all wait on the lane and go out in one call. Without it the lane
// could take the first messages sealed into a call of their own, and a first call of exactly max
// messages left a second of max, so nothing was refused (a flake seen in CI).
func TestTooLargeBatchSplits(t *testing.T) {
	tests := []struct {
		name      string
		max, msgs int
	}{
		{"halves", 4, 8},
		{"quarters of an odd batch", 2, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &publishtest.Recorder{}
			s := &sizeLimitSender{next: rec, max: tc.max, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
			pub := testPublisher(t, s, 1, 1, 1<<20, 64)
			rows := func(from, n int) event.Message {
				m := event.Message{Database: "shop", Table: "orders", PKNames: []string{"id"}, Type: event.TypeInsert,
					Ferry: &event.Meta{Format: 1, Snapshot: true, Columns: []string{"id"}}}
				for i := from; i < from+n; i++ {
					m.AddValues([]*string{event.Str(fmt.Sprint(i))})
					m.Ferry.Versions = append(m.Ferry.Versions, 1)
				}
				return m
			}
			done := make(chan error, 2)
			go func() { done <- pub.Publish(context.Background(), []event.Message{rows(0, 1)}) }()
			select {
			case <-s.entered: // the lane's send call holds row 0 at the gate
			case <-time.After(10 * time.Second):
				t.Fatal("the first message was not sent within 10s")
			}
			go func() { done <- pub.Publish(context.Background(), []event.Message{rows(1, tc.msgs)}) }()
			for deadline := time.Now().Add(10 * time.Second); pub.Pending() < uint64(tc.msgs+1); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("only %d messages sealed", pub.Pending())
				}
			}
			close(s.gate)
			for range 2 {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			got, _ := publishtest.Flatten(rec.Snapshot())
			if len(got) != tc.msgs+1 {
				t.Fatalf("%d rows arrived, want %d", len(got), tc.msgs+1)
			}
			for i, r := range got {
				if r.Key != fmt.Sprint(i) {
					t.Fatalf("row %d has key %s: order lost in the split", i, r.Key)
				}
			}
			if s.refused == 0 {
				t.Fatalf("no call was refused (%d allowed): the split was not exercised", s.allowed)
			}
		})
	}
}

// TestSendBatchMessage: a call of several messages carries one Batch message; a lone message
// goes as itself, with its body and properties (so the broker checks it as a message and a
// refusal names its size limit, TestOversizedRowStopsWithClearError in internal/e2e).
func TestSendBatchMessage(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprint(n, " messages"), func(t *testing.T) {
			sb := newSendBatch(2)
			defer sb.release()
			for i := range n {
				m := primitive.NewMessage("t", nil)
				m.WithTag(fmt.Sprint("table", i))
				buf, err := mq.AppendFrame(sb.buf, m.MarshallProperties(), func(b []byte) ([]byte, error) {
					return fmt.Appendf(b, `{"id":%d}`, i), nil
				})
				if err != nil {
					t.Fatal(err)
				}
				sb.add(buf, &outgoing{msg: &event.Message{}})
			}
			m := sb.message("t")
			if m.Batch != (n > 1) || m.Queue.QueueId != 2 || m.Topic != "t" {
				t.Fatalf("batch %v queue %d topic %q, want batch %v queue 2 topic t", m.Batch, m.Queue.QueueId, m.Topic, n > 1)
			}
			if n == 1 && (string(m.Body) != `{"id":0}` || m.GetTags() != "table0") {
				t.Fatalf("lone message body %q tag %q", m.Body, m.GetTags())
			}
		})
	}
}
