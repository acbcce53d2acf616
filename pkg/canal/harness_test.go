package canal

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	dto "github.com/prometheus/client_model/go"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
)

// recorded is one message as the broker would have stored it.
type recorded struct {
	queue int
	msg   *event.Message
	body  []byte // the message bytes as sent
}

// recorder is an in-memory Sender: it decodes (and so validates) every body and keeps the
// messages per queue in send order. fail, when set, makes sends fail.
type recorder struct {
	mu     sync.Mutex
	msgs   []recorded
	fail   func() error
	failed []*event.Message // messages whose send failed
}

func (r *recorder) SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
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
		r.msgs = append(r.msgs, recorded{queue: m.Queue.QueueId, msg: ev, body: m.Body})
	}
	return &primitive.SendResult{Status: primitive.SendOK}, nil
}

func (r *recorder) snapshot() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.msgs...)
}

// rowChange is one published row, flattened.
type rowChange struct {
	queue   int
	typ     string
	table   string
	version uint64
	data    map[string]*string
	old     map[string]*string
	key     string
}

func flatten(rs []recorded) (rows []rowChange, ddl []*event.Message) {
	for _, r := range rs {
		if r.msg.IsDDL {
			ddl = append(ddl, r.msg)
			continue
		}
		for i, d := range r.msg.Data {
			c := rowChange{queue: r.queue, typ: r.msg.Type, table: r.msg.Table, version: r.msg.Ferry.Versions[i],
				data: d, key: r.msg.RowKey(i)}
			if len(r.msg.Old) > 0 {
				c.old = r.msg.Old[i]
			}
			rows = append(rows, c)
		}
	}
	return rows, ddl
}

func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("FERRY_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// testConfig is a tailer config for the stack, a fresh data dir, a unique server id, and only
// the tables of db.
func testConfig(t testing.TB, st *testenv.Stack, db string) Config {
	cfg := DefaultConfig()
	cfg.SourceAddr, cfg.User, cfg.Password = st.SourceAddr, st.ReplUser, st.ReplPassword
	cfg.ServerID = uint32(100000 + rand.IntN(1<<30))
	cfg.Include = []string{db + ".*"}
	cfg.DataDir = t.TempDir()
	cfg.NameServer = st.NameServer
	cfg.Heartbeat, cfg.ReadTimeout = time.Second, 10*time.Second
	cfg.FlushInterval = 20 * time.Millisecond
	cfg.CheckpointWait = 50 * time.Millisecond
	return cfg
}

// memTailer is a tailer streaming into a recorder.
type memTailer struct {
	rec    *recorder
	tailer *Tailer
	cancel context.CancelFunc
	done   chan error
}

// startMem starts a tailer at the source head (or at from, if non-nil) publishing into memory.
func startMem(t *testing.T, cfg Config, queues int, from *checkpoint.State) *memTailer {
	t.Helper()
	return startMemHooked(t, cfg, queues, from, testHooks{})
}

// startMemHooked is startMem with test hooks installed before the tailer starts (setting them
// later races with the tailer's reads of them).
func startMemHooked(t *testing.T, cfg Config, queues int, from *checkpoint.State, hooks testHooks) *memTailer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var start checkpoint.State
	if from != nil {
		start = *from
	} else {
		h, err := SourceHead(ctx, &cfg)
		if err != nil {
			t.Fatal(err)
		}
		start = checkpoint.State{File: h.File, Pos: h.Pos, GTID: h.GTID, Epoch: cfg.Epoch}
	}
	rec := &recorder{}
	m := NewMetrics(nil)
	pub, err := NewPublisher(cfg.publisherConfig(queues), rec, testLogger(t), m)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := NewTailer(cfg, testLogger(t), m, pub, start)
	if err != nil {
		t.Fatal(err)
	}
	tl.hooks = hooks
	mt := &memTailer{rec: rec, tailer: tl, cancel: cancel, done: make(chan error, 1)}
	go func() { mt.done <- tl.runWithCheckpoints(ctx, cfg.DataDir, start, nil) }()
	t.Cleanup(func() { mt.stop(t) })
	return mt
}

func (m *memTailer) stop(t *testing.T) error {
	m.cancel()
	select {
	case err := <-m.done:
		m.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("tailer did not stop within 30s")
		return nil
	}
}

// waitRows waits until at least n rows (DDL excluded) were published, or fails the test.
func (m *memTailer) waitRows(t *testing.T, n int, timeout time.Duration) []rowChange {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		rows, _ := flatten(m.rec.snapshot())
		if len(rows) >= n {
			return rows
		}
		select {
		case err := <-m.done:
			m.done <- err
			t.Fatalf("tailer stopped after %d of %d rows: %v", len(rows), n, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d rows published within %v", len(rows), n, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustExec(t testing.TB, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

var errInjected = errors.New("injected send failure")

func testutilCount(c interface{ Write(*dto.Metric) error }) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// beforeFailed asserts that checkpoint cp lies before the first row of every message whose send
// failed: a boundary is only checkpointed when everything before it was acknowledged.
func (r *recorder) beforeFailed(t *testing.T, cp *checkpoint.State) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failed) == 0 {
		t.Fatal("no send failed; the test did not exercise the broker-down path")
	}
	ci, _ := event.FileIndex(cp.File)
	for _, m := range r.failed {
		fi, _ := event.FileIndex(m.Ferry.File)
		if ci > fi || (ci == fi && cp.Pos > m.Ferry.Pos) {
			t.Fatalf("checkpoint %s:%d is past unacknowledged rows at %s:%d", cp.File, cp.Pos, m.Ferry.File, m.Ferry.Pos)
		}
	}
}
