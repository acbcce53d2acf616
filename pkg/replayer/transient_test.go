package replayer

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/go-sql-driver/mysql"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// failingSink fails every Apply with err until healAt (zero: for ever), then applies through
// the real sink. It classifies errors as the real sink does.
type failingSink struct {
	sink.Sink
	err      error
	healAt   time.Time
	failures atomic.Int64
}

func (f *failingSink) Apply(ctx context.Context, b *sink.Batch) error {
	if f.healAt.IsZero() || time.Now().Before(f.healAt) {
		f.failures.Add(1)
		return f.err
	}
	return f.Sink.Apply(ctx, b)
}

func (f *failingSink) Transient(err error) bool { return sink.IsTransient(f.Sink, err) }

// flakyTarget is a copy target whose sink is a failingSink.
type flakyTarget struct {
	copyTarget
	s sink.Sink
}

func (ft flakyTarget) Sink() sink.Sink { return ft.s }

// TestTransientCopyFailuresDoNotHalt makes every apply fail for 3 s - 50 times the test
// config's retry budget (2 retries from 20 ms) - with an error the copy's driver returns when
// the copy is briefly away or overloaded: the replayer must wait and converge, not halt. An
// error that is not transient must still halt after the retries, naming the message.
func TestTransientCopyFailuresDoNotHalt(t *testing.T) {
	st := testenv.Get(t)
	reset := &net.OpError{Op: "write", Net: "tcp", Err: syscall.ECONNRESET}
	for _, tc := range []struct {
		name   string
		target func(*testing.T) copyTarget
		err    error
	}{
		{"mysql connection reset", func(t *testing.T) copyTarget { return newMySQLTarget(t, st) }, reset},
		{"mysql deadlock", func(t *testing.T) copyTarget { return newMySQLTarget(t, st) },
			&mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"}},
		{"clickhouse too many parts", func(t *testing.T) copyTarget { return newCHTarget(t, st) },
			&clickhouse.Exception{Code: 252, Message: "Too many parts (300)"}},
		{"clickhouse closed connection", func(t *testing.T) copyTarget { return newCHTarget(t, st) },
			&net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const queues = 2
			topic := st.NewTopic(t, queues)
			real := tc.target(t)
			fs := &failingSink{Sink: real.Sink(), err: tc.err, healAt: time.Now().Add(3 * time.Second)}
			table := sinktest.PropTable("src", "flaky")
			h := sinktest.Generate(rand.New(rand.NewPCG(3, 3)), table, 100, 20)
			pub := newPublisher(t, st, topic, queues)
			for _, m := range toMessages(h.Rows, queues) {
				pub.send(m)
			}
			r, stop := startReplayer(t, testConfig(st, topic), flakyTarget{real, fs})
			waitConverged(t, real, table, h.Final, 120*time.Second)
			if err := stop(); err != nil {
				t.Fatalf("replayer stopped with %v, want a graceful stop after the copy came back", err)
			}
			if n := metricValue(r.metrics.Errors.WithLabelValues("sink_transient")); n < 2 || fs.failures.Load() < 2 {
				t.Fatalf("sink_transient errors = %v, failed applies = %d: the outage was not exercised", n, fs.failures.Load())
			}
		})
	}
	t.Run("not transient halts", func(t *testing.T) {
		topic := st.NewTopic(t, 1)
		real := newMySQLTarget(t, st)
		denied := &mysql.MySQLError{Number: 1142, Message: "INSERT command denied to user 'ferry'"}
		fs := &failingSink{Sink: real.Sink(), err: denied}
		table := sinktest.PropTable("src", "denied")
		h := sinktest.Generate(rand.New(rand.NewPCG(4, 4)), table, 5, 3)
		pub := newPublisher(t, st, topic, 1)
		for _, m := range toMessages(h.Rows, 1) {
			pub.send(m)
		}
		r, err := New(testConfig(st, topic), fs, "mysql", testLogger(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		err = r.Run(ctx)
		if !errors.Is(err, ErrHalted) || !errors.Is(err, denied) || !strings.Contains(err.Error(), "after 2 retries") {
			t.Fatalf("Run = %v, want a halt after 2 retries wrapping %v", err, denied)
		}
		if n := metricValue(r.metrics.Errors.WithLabelValues("sink_transient")); n != 0 {
			t.Fatalf("sink_transient errors = %v for a refused statement", n)
		}
	})
}

// onceFailingSink fails its first Apply with err and records the rows of every later Apply.
type onceFailingSink struct {
	sink.Sink
	err    error
	mu     sync.Mutex
	failed int   // rows of the failed Apply (0: none yet)
	after  []int // rows of each Apply after it
}

func (f *onceFailingSink) Apply(ctx context.Context, b *sink.Batch) error {
	f.mu.Lock()
	if f.failed == 0 {
		f.failed = len(b.Rows)
		f.mu.Unlock()
		return f.err
	}
	f.after = append(f.after, len(b.Rows))
	f.mu.Unlock()
	return f.Sink.Apply(ctx, b)
}

func (f *onceFailingSink) Transient(err error) bool { return sink.IsTransient(f.Sink, err) }

// TestTransientBatchFailureKeepsMessagesTogether fails the first shared batch with a closed
// connection (what a pooled ClickHouse connection closed under the replayer returned): the
// request's messages must be applied again as one batch, not one by one (one insert per
// message, which stalled the ClickHouse copy for 10-15 s in the open-loop benchmark), and the
// copy must converge.
func TestTransientBatchFailureKeepsMessagesTogether(t *testing.T) {
	st := testenv.Get(t)
	topic := st.NewTopic(t, 1)
	real := newMySQLTarget(t, st)
	fs := &onceFailingSink{Sink: real.Sink(), err: &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}}
	table := sinktest.PropTable("src", "together")
	h := sinktest.Generate(rand.New(rand.NewPCG(5, 5)), table, 60, 20)
	pub := newPublisher(t, st, topic, 1)
	for _, m := range toMessages(h.Rows, 1) { // all sent first: the first batch holds many messages
		pub.send(m)
	}
	_, stop := startReplayer(t, testConfig(st, topic), flakyTarget{real, fs})
	waitConverged(t, real, table, h.Final, 120*time.Second)
	if err := stop(); err != nil {
		t.Fatalf("replayer stopped with %v", err)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.failed < 12 {
		t.Fatalf("the failed batch held %d rows (4 messages or fewer): the test did not exercise a shared batch", fs.failed)
	}
	// One by one, the failed batch's messages (at most 3 rows each) alone take failed/3 applies
	// or more; together, its requests take one each, and the rest of the 60 rows a few more.
	if len(fs.after) > fs.failed/4 {
		t.Fatalf("after a failed batch of %d rows, %d applies of %v rows: messages applied one by one, want each request's messages together", fs.failed, len(fs.after), fs.after)
	}
}
