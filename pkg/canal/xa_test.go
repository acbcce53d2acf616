package canal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// xaSource is a fresh source database with table x (id INT PRIMARY KEY), its config, and exec,
// which runs statements on one session (an XA transaction lives in its session until PREPARE).
// The XA ids given are rolled back at cleanup: prepared XA transactions outlive their session.
func xaSource(t *testing.T, xids ...string) (Config, *sql.DB, func(...string)) {
	t.Helper()
	st, dbName, src := newSourceDB(t, "CREATE TABLE x (id INT PRIMARY KEY)")
	conn, err := src.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, id := range xids {
			_, _ = src.Exec("XA ROLLBACK '" + id + "'")
		}
		conn.Close()
	})
	exec := func(qs ...string) {
		t.Helper()
		for _, q := range qs {
			if _, err := conn.ExecContext(t.Context(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	return testConfig(t, st, dbName), src, exec
}

// xaID returns an XA id unique across runs (the source is shared).
func xaID(name string) string { return fmt.Sprintf("ferry-%d-%s", time.Now().UnixNano(), name) }

// TestXAPublishedAtCommit: MariaDB writes an XA transaction's rows to the binlog at XA PREPARE
// and its outcome later as a separate event group. The tailer must publish the rows only at XA
// COMMIT, never those of a rolled-back one, and hold the checkpoint before a prepared one.
func TestXAPublishedAtCommit(t *testing.T) {
	ok, rb := xaID("ok"), xaID("rb")
	cfg, src, exec := xaSource(t, ok)
	mt := startMem(t, cfg, 2, nil)
	published := func(n int) string {
		t.Helper()
		var got []string
		for _, r := range mt.waitRows(t, n, 20*time.Second) {
			got = append(got, r.Type+" "+r.Key)
		}
		sort.Strings(got)
		return strings.Join(got, ",")
	}
	exec("XA START '"+rb+"'", "INSERT INTO x VALUES (1)", "XA END '"+rb+"'", "XA PREPARE '"+rb+"'", "XA ROLLBACK '"+rb+"'",
		"XA START '"+ok+"'", "INSERT INTO x VALUES (2)", "XA END '"+ok+"'", "XA PREPARE '"+ok+"'")
	mustExec(t, src, "INSERT INTO x VALUES (3)") // another session: this one is in the PREPARED state
	// Row 3 committed after ferry-ok was prepared: it is out, row 2 waits for XA COMMIT.
	if got := published(1); got != "INSERT 3" {
		t.Fatalf("published %v before XA COMMIT; want only the committed row 3", got)
	}
	exec("XA COMMIT '"+ok+"'", "INSERT INTO x VALUES (4)")
	if got := published(3); got != "INSERT 2,INSERT 3,INSERT 4" {
		t.Fatalf("published %v; want rows 2 (at its XA COMMIT), 3 and 4, never the rolled-back row 1", got)
	}
}

// TestXACheckpointHeldWhilePrepared restarts the tailer from its checkpoint while an XA
// transaction is prepared and other transactions were published after it: the checkpoint must
// still be before the prepared rows, so the restarted tailer reads them and publishes them at XA
// COMMIT (rather than meeting an XA COMMIT of rows it never saw).
func TestXACheckpointHeldWhilePrepared(t *testing.T) {
	xid := xaID("held")
	cfg, src, exec := xaSource(t, xid)
	mt := startMem(t, cfg, 2, nil)
	exec("XA START '"+xid+"'", "INSERT INTO x VALUES (2)", "XA END '"+xid+"'", "XA PREPARE '"+xid+"'")
	mustExec(t, src, "INSERT INTO x VALUES (3)")
	mt.waitRows(t, 1, 20*time.Second)
	time.Sleep(300 * time.Millisecond) // let the acknowledged boundary reach the checkpoint file
	if err := mt.stop(t); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("stop: %v", err)
	}
	cp, err := checkpoint.Load(cfg.DataDir)
	if err != nil || cp == nil {
		t.Fatalf("checkpoint: %v %v", cp, err)
	}
	again := startMem(t, cfg, 2, cp)
	exec("XA COMMIT '" + xid + "'")
	mustExec(t, src, "INSERT INTO x VALUES (4)")
	got := map[string]bool{}
	for _, r := range again.waitRows(t, 2, 20*time.Second) {
		got[r.Type+" "+r.Key] = true
	}
	deadline := time.Now().Add(10 * time.Second)
	for !got["INSERT 2"] || !got["INSERT 4"] {
		if time.Now().After(deadline) {
			t.Fatalf("after the restart published %v; want the prepared row 2 at its XA COMMIT and row 4", got)
		}
		time.Sleep(50 * time.Millisecond)
		rows, _ := publishtest.Flatten(again.rec.Snapshot())
		for _, r := range rows {
			got[r.Type+" "+r.Key] = true
		}
	}
}
