package replayer

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"testing"
	"time"

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
