package replayer

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// failOnceStager is the real ClickHouse sink, staging, whose first staged batch fails at
// Apply with err: its rows were converted at submit, so the lanes released their bodies.
type failOnceStager struct {
	sink.Sink
	stager sink.Stager
	err    error
	failed atomic.Bool
}

var _ sink.Stager = (*failOnceStager)(nil)

func (f *failOnceStager) Stage() sink.Staged { return &failOnceStaged{Staged: f.stager.Stage(), f: f} }

func (f *failOnceStager) Transient(err error) bool { return sink.IsTransient(f.Sink, err) }

type failOnceStaged struct {
	sink.Staged
	f *failOnceStager
}

func (s *failOnceStaged) Apply(ctx context.Context) error {
	if s.f.err != nil && s.f.failed.CompareAndSwap(false, true) {
		return s.f.err
	}
	return s.Staged.Apply(ctx)
}

// TestReleasedBodiesReadAgainAfterFailedBatch checks the retry of a failed ClickHouse batch
// whose messages' bodies the replayer released when their rows were staged (bodies.go): the
// bodies are read again from the broker, the copy converges to the source's state, and a bad
// row is dead-lettered with its message's original body, byte for byte.
func TestReleasedBodiesReadAgainAfterFailedBatch(t *testing.T) {
	st := testenv.Get(t)
	for _, tc := range []struct {
		name string
		err  error // the first batch's failure (nil: a bad row fails it)
	}{
		{"transient failure, applied again together", &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}},
		{"other failure, applied one by one", errors.New("insert refused")},
		{"bad row, dead-lettered with its body", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := st.NewTopic(t, 1)
			real := newCHTarget(t, st)
			table := sinktest.PropTable("src", "released")
			h := sinktest.Generate(rand.New(rand.NewPCG(7, 7)), table, 60, 20)
			msgs := toMessages(h.Rows, 1)
			pub := newPublisher(t, st, topic, 1)
			var poison []byte
			for i, m := range msgs { // all sent first: the first batch holds many messages
				if tc.err == nil && i == len(msgs)/2 {
					poison = badRowBody(t, m)
					pub.sendRaw(0, poison, "poison")
				}
				pub.send(m)
			}
			fs := &failOnceStager{Sink: real.sink, stager: real.sink, err: tc.err}
			cfg := testConfig(st, topic)
			cfg.Poison = PoisonDeadLetter
			cfg.DeadLetterTopic = st.NewTopic(t, 1)
			r, stop := startReplayer(t, cfg, flakyTarget{real, fs})
			waitConverged(t, real, table, h.Final, 120*time.Second)
			if tc.err == nil {
				if got := receiveOne(t, st, cfg.DeadLetterTopic); string(got.Body) != string(poison) {
					t.Fatalf("dead-letter body = %q, want the bad message's body %q", got.Body, poison)
				}
			}
			if err := stop(); err != nil {
				t.Fatalf("replayer stopped with %v", err)
			}
			if tc.err != nil && !fs.failed.Load() {
				t.Fatal("no staged batch failed: the test did not exercise a retry")
			}
			if n := metricValue(r.metrics.BodiesRefetched); n < 2 {
				t.Fatalf("%v bodies read again from the broker, want the failed batch's messages (2 or more): bodies were not released", n)
			}
		})
	}
}

// badRowBody is m's message with a value the copy cannot take (a DATE that is not one):
// its rows decode, and the ClickHouse sink refuses them when it stages them.
func badRowBody(t *testing.T, m *event.Message) []byte {
	t.Helper()
	bad := *m
	bad.Data = []map[string]*string{{}}
	for k, v := range m.Data[0] {
		bad.Data[0][k] = v
	}
	bad.Data[0]["day"] = event.Str("not-a-date")
	bad.Ferry = &event.Meta{}
	*bad.Ferry = *m.Ferry
	bad.Ferry.Versions = bad.Ferry.Versions[:1]
	b, err := event.Encode(&bad)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakePuller serves a queue's messages from a map of offset to body, status as given, after
// failing its first fails calls with err (every call, if fails is 0).
type fakePuller struct {
	bodies map[int64]string
	status primitive.PullStatus
	err    error
	fails  int
	calls  int
}

func (f *fakePuller) PullFrom(_ context.Context, q *primitive.MessageQueue, offset int64, n int) (*primitive.PullResult, error) {
	f.calls++
	if f.err != nil && (f.fails == 0 || f.calls <= f.fails) {
		return nil, f.err
	}
	res := &primitive.PullResult{Status: f.status, NextBeginOffset: offset + int64(n)}
	var msgs []*primitive.MessageExt
	for o := offset; o < offset+int64(n); o++ {
		if b, ok := f.bodies[o]; ok {
			msgs = append(msgs, &primitive.MessageExt{Message: primitive.Message{Body: []byte(b), Queue: q}, QueueOffset: o})
		}
	}
	res.SetMessageExts(msgs)
	return res, nil
}

// TestBodiesOf checks the re-read of released bodies against a fake broker: kept bodies are
// used as they are, released ones come back by queue offset, and a broker that cannot give
// them back yields an error that names the queue and the offsets (the caller halts on it).
func TestBodiesOf(t *testing.T) {
	q := &primitive.MessageQueue{Topic: "t", QueueId: 3}
	msg := func(off int64, body string) pending {
		m := &primitive.MessageExt{Message: primitive.Message{Queue: q}, QueueOffset: off}
		if body != "" {
			m.Body = []byte(body)
		}
		return pending{msg: m}
	}
	batch := func() []pending { return []pending{msg(10, "kept"), msg(11, ""), msg(13, "")} }
	for _, tc := range []struct {
		name    string
		puller  *fakePuller
		want    []string
		wantErr string
		calls   int
	}{
		{"released bodies read again", &fakePuller{bodies: map[int64]string{11: "b11", 12: "ddl", 13: "b13"}, status: primitive.PullFound},
			[]string{"kept", "b11", "b13"}, "", 1},
		{"broker lost the messages", &fakePuller{status: primitive.PullOffsetIllegal}, nil, "queue=3 offsets 11..13", 3},
		{"broker refuses the pull", &fakePuller{err: errors.New("pull refused")}, nil, "pull refused", 3},
		// A lost connection does not use up retries: 5 failed pulls with 2 retries, then the bodies.
		{"broker connection lost, waited out", &fakePuller{err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, fails: 5,
			bodies: map[int64]string{11: "b11", 13: "b13"}, status: primitive.PullFound}, []string{"kept", "b11", "b13"}, "", 6},
		{"offset missing from the answer", &fakePuller{bodies: map[int64]string{11: "b11"}, status: primitive.PullFound}, nil, "offset 13", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Topic, cfg.Group, cfg.Retries, cfg.RetryBackoff = "t", "g", 2, time.Millisecond
			r, err := New(cfg, &fakeSink{}, "fake", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			r.puller = tc.puller
			got, err := r.bodiesOf(context.Background(), batch())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.want {
				if string(got[i]) != w {
					t.Fatalf("body %d = %q, want %q", i, got[i], w)
				}
			}
			if tc.puller.calls != tc.calls {
				t.Fatalf("%d pulls, want %d (retries: %d)", tc.puller.calls, tc.calls, cfg.Retries)
			}
			if n := metricValue(r.metrics.Errors.WithLabelValues("broker_transient")); n != float64(tc.puller.fails) {
				t.Fatalf("broker_transient errors = %v, want %d (the lost connections)", n, tc.puller.fails)
			}
			if n := metricValue(r.metrics.Errors.WithLabelValues("sink_transient")); n != 0 {
				t.Fatalf("sink_transient errors = %v: broker trouble counted as the copy's", n)
			}
		})
	}
}
