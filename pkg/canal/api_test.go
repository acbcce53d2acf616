package canal

import (
	"errors"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"
	dto "github.com/prometheus/client_model/go"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/publish"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

func TestResyncRefusesWhileLocked(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	lock, err := checkpoint.Acquire(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Resync(&cfg, checkpoint.State{File: "binlog.000002", Pos: 4}); !errors.Is(err, checkpoint.ErrLocked) {
		t.Fatalf("resync while locked: %v", err)
	}
	lock.Release()
	if _, err := Resync(&cfg, checkpoint.State{File: "binlog.000002", Pos: 4, Epoch: 2}); err != nil {
		t.Fatal(err)
	}
	cp, _ := checkpoint.Load(cfg.DataDir)
	if cp.File != "binlog.000002" || cp.Epoch != 2 {
		t.Fatalf("checkpoint after resync = %+v", cp)
	}
	if _, err := Resync(&cfg, checkpoint.State{File: "nonumber", Pos: 4}); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad file name: %v", err)
	}
}

// TestFileForTime: a time after the newest file's start maps to the newest file; a time before
// every file is a purge error.
func TestFileForTime(t *testing.T) {
	st := testenv.Get(t)
	cfg := testConfig(t, st, "x")
	files, err := BinlogFiles(t.Context(), &cfg)
	if err != nil || len(files) == 0 {
		t.Fatalf("binlog files: %v %v", files, err)
	}
	got, err := FileForTime(t.Context(), &cfg, time.Now().Add(time.Hour))
	if err != nil || got != files[len(files)-1] {
		t.Fatalf("FileForTime(now+1h) = %q, %v; want %q", got, err, files[len(files)-1])
	}
	if _, err := FileForTime(t.Context(), &cfg, time.Unix(0, 0)); !errors.Is(err, ErrPurged) {
		t.Fatalf("FileForTime(1970) err = %v, want ErrPurged", err)
	}
}

// TestCheckpointMovesWithNothingPublished: when none of the source's tables is published, the
// checkpoint still follows the source (transaction boundaries of other tables, heartbeats).
func TestCheckpointMovesWithNothingPublished(t *testing.T) {
	st := testenv.Get(t)
	dbName := st.NewSourceDatabase(t)
	cfg := testConfig(t, st, dbName)
	cfg.Include = []string{"no_such_db_" + dbName + ".*"} // nothing of the (busy) shared source is published
	mt := startMem(t, cfg, 1, nil)
	time.Sleep(500 * time.Millisecond)
	first, _ := checkpoint.Load(cfg.DataDir)
	deadline := time.Now().Add(10 * time.Second)
	for {
		cp, _ := checkpoint.Load(cfg.DataDir)
		if first != nil && cp != nil && cp.UpdatedAt.After(first.UpdatedAt) {
			break
		}
		if first == nil {
			first = cp
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint time did not move within 10s (heartbeat 1s): %+v", cp)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rows, _ := publishtest.Flatten(mt.rec.Snapshot()); len(rows) != 0 {
		t.Fatalf("published %d rows for an excluded database", len(rows))
	}
}

// TestHeartbeatRefreshesCheckpointTime feeds a heartbeat event to an idle tailer: the last
// boundary is re-registered with a new time (checkpoint updatedAt moves, position does not), and
// seconds-behind drops to 0. Inside a transaction a heartbeat changes nothing.
func TestHeartbeatRefreshesCheckpointTime(t *testing.T) {
	m := NewMetrics(nil)
	pub, err := publish.New(publish.Config{Topic: "t", Queues: 1, MaxBatchRows: 10, MaxBatchBytes: 1 << 20,
		SendTimeout: time.Second, MaxRetryDelay: time.Millisecond, QueueBuffer: 1}, &publishtest.Recorder{}, publishtest.Logger(t), m.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	cfg := DefaultConfig()
	old := time.Now().Add(-time.Hour)
	start := checkpoint.State{File: "binlog.000003", Pos: 1234, UpdatedAt: old}
	tl, err := NewTailer(cfg, publishtest.Logger(t), m, pub, start)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cp := publish.NewCheckpointer(dir, pub, publishtest.Logger(t), time.Hour, start)
	tl.metrics.Behind.Set(99)
	hb := &replication.BinlogEvent{Header: &replication.EventHeader{EventType: replication.HEARTBEAT_EVENT, LogPos: 1234},
		Event: &replication.HeartbeatEvent{Version: 1}}
	tl.inTx = true
	if err := tl.handle(t.Context(), hb); err != nil {
		t.Fatal(err)
	}
	cp.WriteSafe()
	if s, err := checkpoint.Load(dir); s != nil || err != nil {
		t.Fatalf("heartbeat inside a transaction registered %+v (err %v)", s, err)
	}
	tl.inTx = false
	if err := tl.handle(t.Context(), hb); err != nil {
		t.Fatal(err)
	}
	cp.WriteSafe()
	s, err := checkpoint.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s == nil || !s.UpdatedAt.After(old) || s.File != start.File || s.Pos != start.Pos {
		t.Fatalf("after heartbeat: %+v; want same position, newer time", s)
	}
	if g := gaugeValue(tl.metrics.Behind); g != 0 {
		t.Errorf("seconds behind = %v after an idle heartbeat", g)
	}
}

func gaugeValue(g interface{ Write(*dto.Metric) error }) float64 {
	var m dto.Metric
	g.Write(&m)
	return m.GetGauge().GetValue()
}
