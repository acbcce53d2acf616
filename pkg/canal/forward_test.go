package canal

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// fedTailer is a tailer fed with hand-made binlog events (no source), publishing into memory,
// as streamOnce sets it up for a connection resuming at start.
func fedTailer(t *testing.T, gtid bool, start checkpoint.State) (*Tailer, *publishtest.Recorder) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Include, cfg.DataDir, cfg.UseGTID = []string{"db.*"}, t.TempDir(), gtid
	rec := &publishtest.Recorder{}
	m := NewMetrics(nil)
	pub, err := publish.New(cfg.PublishConfig(2), rec, publishtest.Logger(t), m.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pub.Close)
	tl, err := NewTailer(cfg, publishtest.Logger(t), m, pub, start)
	if err != nil {
		t.Fatal(err)
	}
	tl.setFloor(start)
	return tl, rec
}

func rotateTo(file string, pos uint64) *replication.BinlogEvent {
	return &replication.BinlogEvent{Header: &replication.EventHeader{EventType: replication.ROTATE_EVENT},
		Event: &replication.RotateEvent{NextLogName: []byte(file), Position: pos}}
}

// ddlEvent is an ALTER of db.t whose header says it ends at logPos (32 bits) and is size long.
func ddlEvent(logPos, size uint32) *replication.BinlogEvent {
	return &replication.BinlogEvent{
		Header: &replication.EventHeader{EventType: replication.QUERY_EVENT, LogPos: logPos, EventSize: size, Timestamp: 1, ServerID: 1},
		Event:  &replication.QueryEvent{Schema: []byte("db"), Query: []byte("ALTER TABLE t ADD c INT")}}
}

// published waits for n DDL messages on queue 0 and returns their versions.
func published(t *testing.T, rec *publishtest.Recorder, n int) (versions []uint64, epochs []uint8) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		versions, epochs = nil, nil
		for _, r := range rec.Snapshot() {
			if r.Queue == 0 {
				versions, epochs = append(versions, r.Msg.Ferry.Versions[0]), append(epochs, r.Msg.Ferry.Epoch)
			}
		}
		if len(versions) >= n {
			return versions, epochs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages published", len(versions), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFailoverToLowerFileIndex: after a GTID-mode failover the new server's binlog files have a
// lower index; the tailer moves to the next epoch instead of publishing versions below the
// resume point. In file/position mode it stops with ErrVersionsBackwards.
func TestFailoverToLowerFileIndex(t *testing.T) {
	start := checkpoint.State{File: "mysql-bin.000010", Pos: 5000, Epoch: 2, GTID: "0-1-100"}
	floor, _ := event.Version(start.Epoch, 10, start.Pos, 0)

	tl, rec := fedTailer(t, true, start)
	for _, e := range []*replication.BinlogEvent{rotateTo("mysql-bin.000003", 4), ddlEvent(400, 100)} {
		if err := tl.handle(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	v, epochs := published(t, rec, 1)
	if v[0] < floor || epochs[0] != 3 {
		t.Fatalf("after failover: version %d (epoch %d), resume point %d (epoch 2); want above it in epoch 3", v[0], epochs[0], floor)
	}
	if tl.last.Epoch != 3 {
		t.Fatalf("checkpoint epoch %d, want 3 (kept for restarts)", tl.last.Epoch)
	}

	pos, _ := fedTailer(t, false, checkpoint.State{File: "mysql-bin.000010", Pos: 5000, Epoch: 2})
	if err := pos.handle(t.Context(), rotateTo("mysql-bin.000003", 4)); err != nil {
		t.Fatal(err)
	}
	if err := pos.handle(t.Context(), ddlEvent(400, 100)); !errors.Is(err, ErrVersionsBackwards) {
		t.Fatalf("file/position mode below the resume point: %v, want ErrVersionsBackwards", err)
	}
}

// TestPositionPast4GiB: a binlog file past 4 GiB wraps the 32-bit end position of the event
// headers; versions and the checkpoint keep the true 64-bit position, and a file/position
// restart there is refused (the dump protocol's position has 32 bits).
func TestPositionPast4GiB(t *testing.T) {
	tl, rec := fedTailer(t, false, checkpoint.State{File: "mysql-bin.000005", Pos: 4})
	for _, e := range []*replication.BinlogEvent{
		rotateTo("mysql-bin.000005", 4),
		ddlEvent(0xFFFFFF00, 0x80), // starts 0xFFFFFE80
		ddlEvent(0x200, 0x100),     // ends 1<<32 + 0x200: the header wrapped
	} {
		if err := tl.handle(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := published(t, rec, 2)
	_, _, p := event.SplitVersion(v[1])
	if v[1] <= v[0] || p != 1<<32+0x100 {
		t.Fatalf("versions %d then %d (position %d): want increasing, second at %d", v[0], v[1], p, uint64(1<<32+0x100))
	}
	if tl.last.Pos != 1<<32+0x200 {
		t.Fatalf("checkpoint position %d, want %d", tl.last.Pos, uint64(1<<32+0x200))
	}
	if err := checkResumable(&tl.cfg, tl.last); !errors.Is(err, ErrConfig) {
		t.Fatalf("file/position restart past 4 GiB: %v, want ErrConfig", err)
	}
	g := tl.cfg
	g.UseGTID = true
	if err := checkResumable(&g, checkpoint.State{File: tl.last.File, Pos: tl.last.Pos, GTID: "0-1-9"}); err != nil {
		t.Fatalf("GTID restart past 4 GiB: %v", err)
	}
}

func TestPosWidener(t *testing.T) {
	var w posWidener
	w.reset(1<<32 + 100) // a connection resuming past 4 GiB
	if got := w.end(300); got != 1<<32+300 {
		t.Fatalf("end(300) = %d", got)
	}
	if got := w.end(250); got != 1<<32+250 { // a small drop (artificial event) is no wrap
		t.Fatalf("end(250) = %d", got)
	}
	w.reset(4)
	w.end(0xFFFFFFF0)
	if got := w.end(16); got != 1<<32+16 {
		t.Fatalf("after wrap end(16) = %d", got)
	}
}

// TestCompressedTransactionStops: a MySQL compressed transaction (TRANSACTION_PAYLOAD event)
// stops the tailer with a fatal error naming the setting, the position and the fix, and moves
// no checkpoint; before, the tailer went past it and its rows never reached the copies.
func TestCompressedTransactionStops(t *testing.T) {
	tl, rec := fedTailer(t, false, checkpoint.State{File: "binlog.000001", Pos: 4})
	if err := tl.handle(context.Background(), rotateTo("binlog.000001", 4)); err != nil {
		t.Fatal(err)
	}
	before := tl.last
	err := tl.handle(context.Background(), &replication.BinlogEvent{
		Header: &replication.EventHeader{EventType: replication.TRANSACTION_PAYLOAD_EVENT, LogPos: 1000, EventSize: 200},
		Event:  &replication.TransactionPayloadEvent{}})
	if !errors.Is(err, ErrSourceSettings) || !strings.Contains(err.Error(), "binlog_transaction_compression=OFF") ||
		!strings.Contains(err.Error(), "binlog.000001:800") {
		t.Fatalf("error %v: want ErrSourceSettings naming the setting and binlog.000001:800", err)
	}
	if fatal, _ := classify(err, &tl.cfg, "test"); !fatal {
		t.Fatal("a compressed transaction is not a fatal stream error: the tailer would reconnect and meet it again")
	}
	if tl.last != before || len(rec.Snapshot()) != 0 {
		t.Fatalf("checkpoint %+v (was %+v), %d messages published", tl.last, before, len(rec.Snapshot()))
	}
}
