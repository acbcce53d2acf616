package mq_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/mq"
)

func TestEnsureTopic(t *testing.T) {
	s := testenv.Get(t)
	tests := []struct {
		name   string
		queues []int // successive EnsureTopic calls on one topic
	}{
		{"one queue", []int{1}},
		{"eight queues", []int{8}},
		{"grow", []int{2, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			topic := testenv.UniqueName("mq_ensure")
			for _, q := range tc.queues {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				err := mq.EnsureTopic(ctx, s.NameServer, s.BrokerAddr, topic, q)
				cancel()
				if err != nil {
					t.Fatalf("EnsureTopic(%s, %d): %v", topic, q, err)
				}
				ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
				n, err := mq.QueueCount(ctx, s.NameServer, topic)
				cancel()
				if err != nil || n != q {
					t.Fatalf("QueueCount(%s) = %d, %v after EnsureTopic with %d", topic, n, err, q)
				}
			}
		})
	}
}

func TestEnsureTopicErrors(t *testing.T) {
	s := testenv.Get(t)
	tests := []struct {
		name, topic, broker string
		queues              int
	}{
		{"empty name", "", s.BrokerAddr, 4},
		{"no queues", testenv.UniqueName("mq_err"), s.BrokerAddr, 0},
		{"no broker there", testenv.UniqueName("mq_err"), "127.0.0.1:1", 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			err := mq.EnsureTopic(ctx, s.NameServer, tc.broker, tc.topic, tc.queues)
			if err == nil {
				t.Fatalf("EnsureTopic(%q, %s, %d) succeeded, want an error", tc.topic, tc.broker, tc.queues)
			}
			if time.Since(start) > 9*time.Second {
				t.Fatalf("EnsureTopic took %s to fail", time.Since(start))
			}
		})
	}
}

func TestQueueCountUnknownTopic(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := mq.QueueCount(ctx, s.NameServer, testenv.UniqueName("mq_missing"))
	if err == nil {
		t.Fatalf("QueueCount of a missing topic = %d, nil; want an error", n)
	}
}

// syncBuffer is a goroutine-safe log sink (client goroutines may log too).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// derefStringer's String dereferences its receiver, as RemotingCommand's does.
type derefStringer struct{ s string }

func (d *derefStringer) String() string { return d.s }

func TestSetLogger(t *testing.T) {
	var buf syncBuffer
	mq.SetLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { mq.SetLogger(nil); mq.SetLogLevel(slog.LevelWarn) })

	mq.SetLogLevel(slog.LevelWarn)
	rlog.Info("chatty-info", nil)
	rlog.Warning("route-warning", map[string]interface{}{"topic": "t1", "underlayError": errors.New("boom")})
	rlog.Fatal("fatal-does-not-exit", nil)
	rlog.SetLogLevel("debug") // the library's own knob maps onto SetLogLevel
	rlog.Debug("now-debug", map[string]interface{}{"b": 2, "a": 1})
	// The client logs a nil *RemotingCommand response when a request times out.
	rlog.Error("nil-stringer", map[string]interface{}{"response": (*derefStringer)(nil)})

	out := buf.String()
	tests := []struct {
		name, want string
		present    bool
	}{
		{"info below default floor is dropped", "chatty-info", false},
		{"warning passes with fields", `level=WARN msg=route-warning component=rocketmq-client topic=t1 underlayError=boom`, true},
		{"fatal is logged as error", `level=ERROR msg=fatal-does-not-exit`, true},
		{"debug after SetLogLevel, fields sorted", `msg=now-debug component=rocketmq-client a=1 b=2`, true},
		{"typed nil Stringer does not panic", `msg=nil-stringer component=rocketmq-client response=<nil>`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(out, tc.want) != tc.present {
				t.Fatalf("log output %q: contains %q = %v, want %v", out, tc.want, !tc.present, tc.present)
			}
		})
	}
}
