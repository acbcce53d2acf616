package canal

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

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
	rec    *publishtest.Recorder
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
	rec := &publishtest.Recorder{}
	m := NewMetrics(nil)
	pub, err := publish.New(cfg.PublishConfig(queues), rec, publishtest.Logger(t), m.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := NewTailer(cfg, publishtest.Logger(t), m, pub, start)
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
func (m *memTailer) waitRows(t *testing.T, n int, timeout time.Duration) []publishtest.Change {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		rows, _ := publishtest.Flatten(m.rec.Snapshot())
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

// newSourceDB creates a fresh source database on the shared stack, opens it and runs ddl in it.
func newSourceDB(t testing.TB, ddl ...string) (st *testenv.Stack, dbName string, src *sql.DB) {
	t.Helper()
	st = testenv.Get(t)
	dbName = st.NewSourceDatabase(t)
	src = st.OpenSource(t, dbName)
	mustExec(t, src, ddl...)
	return st, dbName, src
}

// scanText reads the current row of rows (columns cols) as column -> text, nil for NULL; the
// columns in binary are rendered as event text (event.EncodeBytes).
func scanText(t *testing.T, rows *sql.Rows, cols []string, binary map[string]bool) map[string]*string {
	t.Helper()
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	m := map[string]*string{}
	for i, c := range cols {
		if raw[i] == nil {
			m[c] = nil
			continue
		}
		s := string(raw[i])
		if binary[c] {
			s = event.EncodeBytes(raw[i])
		}
		m[c] = &s
	}
	return m
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
// to rec failed: a boundary is only checkpointed when everything before it was acknowledged.
func beforeFailed(t *testing.T, rec *publishtest.Recorder, cp *checkpoint.State) {
	t.Helper()
	failed := rec.Failed()
	if len(failed) == 0 {
		t.Fatal("no send failed; the test did not exercise the broker-down path")
	}
	ci, _ := event.FileIndex(cp.File)
	for _, m := range failed {
		fi, _ := event.FileIndex(m.Ferry.File)
		if ci > fi || (ci == fi && cp.Pos > m.Ferry.Pos) {
			t.Fatalf("checkpoint %s:%d is past unacknowledged rows at %s:%d", cp.File, cp.Pos, m.Ferry.File, m.Ferry.Pos)
		}
	}
}
