package canal

import (
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// TestGTIDReconnectRedeliversIdentically breaks the binlog connection in the middle of a
// transaction in GTID mode. The tailer reconnects from the last boundary's GTID set, the
// transaction is read again, and the re-published rows carry the same versions and values.
func TestGTIDReconnectRedeliversIdentically(t *testing.T) {
	st, dbName, src := newSourceDB(t, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))")
	// A GTID reconnect makes MariaDB scan the binlog file from its start to find the position;
	// on the shared stack the current file may hold tens of MB from other tests (one such scan
	// took over 20 s under CI load). Start this test in a fresh file.
	mustExec(t, src, "FLUSH BINARY LOGS")
	cfg := testConfig(t, st, dbName)
	cfg.UseGTID = true
	h, err := SourceHead(t.Context(), &cfg)
	if err != nil || h.GTID == "" {
		t.Fatalf("source GTID position: %q, %v", h.GTID, err)
	}
	from := checkpoint.State{File: h.File, Pos: h.Pos, GTID: h.GTID}
	var rowsEvents, broken atomic.Int32
	// Count only this test's rows events: other packages' tests write to the same source in
	// parallel, and breaking on their events would cut the stream outside this transaction.
	mt := startMemHooked(t, cfg, 2, &from, testHooks{afterEvent: func(e *replication.BinlogEvent) error {
		re, ok := e.Event.(*replication.RowsEvent)
		if ok && re.Table != nil && string(re.Table.Schema) == dbName && rowsEvents.Add(1) == 2 && broken.Add(1) == 1 {
			return fmt.Errorf("injected connection loss")
		}
		return nil
	}})
	tx, err := src.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := tx.Exec(fmt.Sprintf("INSERT INTO t VALUES (%d, 'v%d')", i, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rows := mt.waitRows(t, 5, 60*time.Second) // 2 rows before the break, then all 3 again
	time.Sleep(300 * time.Millisecond)
	rows, _ = publishtest.Flatten(mt.rec.Snapshot())
	if broken.Load() != 1 || len(rows) != 5 {
		t.Fatalf("broken %d times, %d rows published; want 1 break and 2+3 rows", broken.Load(), len(rows))
	}
	byVersion := map[uint64][]string{}
	for _, r := range rows {
		byVersion[r.Version] = append(byVersion[r.Version], r.Type+" "+render(r.Data))
	}
	if len(byVersion) != 3 {
		t.Fatalf("distinct versions = %d, want 3: %v", len(byVersion), byVersion)
	}
	dups := 0
	for v, copies := range byVersion {
		sort.Strings(copies)
		if len(copies) == 2 {
			dups++
			if copies[0] != copies[1] {
				t.Errorf("version %d redelivered with different content: %v", v, copies)
			}
		}
	}
	if dups != 2 {
		t.Errorf("duplicated versions = %d, want 2", dups)
	}
	if n := testutilCount(mt.tailer.metrics.Reconnects); n != 1 {
		t.Errorf("reconnects = %v, want 1", n)
	}
	mt.stop(t)
	cp, err := checkpoint.Load(cfg.DataDir)
	if err != nil || cp == nil || cp.GTID == "" || cp.GTID == h.GTID {
		t.Fatalf("checkpoint GTID after the transaction = %+v (%v); want past %q", cp, err, h.GTID)
	}
}
