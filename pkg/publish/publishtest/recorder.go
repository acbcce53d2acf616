// Package publishtest holds test helpers for the publisher and the stages that publish through
// it (pkg/publish, pkg/canal): in-memory senders and checks of what was sent. Production binaries
// do not link it.
package publishtest

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/mq"
)

// Recorded is one message as the broker would have stored it.
type Recorded struct {
	Queue int
	Msg   *event.Message
	Body  []byte // the message bytes as sent
}

// Recorder is an in-memory publish.Sender: it takes batch bodies apart as the broker does,
// decodes (and so validates) every message's body and keeps the messages per queue in send
// order. SetFail makes sends fail.
type Recorder struct {
	mu     sync.Mutex
	fail   func() error
	msgs   []Recorded
	failed []*event.Message // messages whose send failed
}

// SendSync records msgs, or fails when Fail returns an error.
func (r *Recorder) SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msgs, err := mq.Unbatch(msgs)
	if err != nil {
		return nil, err
	}
	if r.fail != nil {
		if err := r.fail(); err != nil {
			for _, m := range msgs {
				if ev, derr := event.Decode(m.Body); derr == nil {
					r.failed = append(r.failed, ev)
				}
			}
			return nil, err
		}
	}
	for _, m := range msgs {
		ev, err := event.Decode(m.Body)
		if err != nil {
			return nil, err
		}
		// A publisher reuses the batch body once SendSync returns: keep a copy.
		r.msgs = append(r.msgs, Recorded{Queue: m.Queue.QueueId, Msg: ev, Body: bytes.Clone(m.Body)})
	}
	return &primitive.SendResult{Status: primitive.SendOK}, nil
}

// SetFail makes every send fail with fail's error while fail returns one (nil: sends succeed).
func (r *Recorder) SetFail(fail func() error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = fail
}

// Snapshot returns the messages recorded so far, in send order.
func (r *Recorder) Snapshot() []Recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Recorded(nil), r.msgs...)
}

// Failed returns the messages whose send failed so far.
func (r *Recorder) Failed() []*event.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*event.Message(nil), r.failed...)
}

// NopSender acknowledges every message at once (isolates the caller's own cost from the broker).
type NopSender struct{}

// SendSync answers SEND_OK.
func (NopSender) SendSync(context.Context, ...*primitive.Message) (*primitive.SendResult, error) {
	return &primitive.SendResult{Status: primitive.SendOK}, nil
}

// Change is one published row, flattened.
type Change struct {
	Queue   int
	Type    string
	Table   string
	Version uint64
	Data    map[string]*string
	Old     map[string]*string
	Key     string
}

// Flatten returns the rows of rs in order, and the DDL messages apart.
func Flatten(rs []Recorded) (rows []Change, ddl []*event.Message) {
	for _, r := range rs {
		if r.Msg.IsDDL {
			ddl = append(ddl, r.Msg)
			continue
		}
		for i, d := range r.Msg.Data {
			c := Change{Queue: r.Queue, Type: r.Msg.Type, Table: r.Msg.Table, Version: r.Msg.Ferry.Versions[i],
				Data: d, Key: r.Msg.RowKey(i)}
			if len(r.Msg.Old) > 0 {
				c.Old = r.Msg.Old[i]
			}
			rows = append(rows, c)
		}
	}
	return rows, ddl
}

// CheckOrder asserts that one key's changes stay on one queue in version (binlog) order. Rows of
// different keys on one queue may be reordered within a flush window (dense grouping).
func CheckOrder(t testing.TB, rows []Change) {
	t.Helper()
	keyQueue := map[string]int{}
	lastByKey := map[string]uint64{}
	for _, r := range rows {
		k := r.Table + "\x00" + r.Key
		if q, ok := keyQueue[k]; ok && q != r.Queue {
			t.Fatalf("key %q on queues %d and %d", k, q, r.Queue)
		}
		keyQueue[k] = r.Queue
		if v, ok := lastByKey[k]; ok && r.Version < v {
			t.Fatalf("key %q: version %d after %d", k, r.Version, v)
		}
		lastByKey[k] = r.Version
	}
}

// Logger logs warnings and errors to stderr (everything with FERRY_TEST_DEBUG set).
func Logger(testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("FERRY_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
