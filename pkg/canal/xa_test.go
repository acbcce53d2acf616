package canal

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
)

// TestXAPublishedAtCommit: MariaDB writes an XA transaction's rows to the binlog at XA PREPARE
// and its outcome later as a separate event group. The tailer must publish the rows only at XA
// COMMIT, never those of a rolled-back one, and hold the checkpoint before a prepared one.
func TestXAPublishedAtCommit(t *testing.T) {
	st := testenv.Get(t)
	dbName := st.NewSourceDatabase(t)
	src := st.OpenSource(t, dbName)
	mustExec(t, src, "CREATE TABLE x (id INT PRIMARY KEY)")
	mt := startMem(t, testConfig(t, st, dbName), 2, nil)
	conn, err := src.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ok, rb := dbName+"-ok", dbName+"-rb"                              // prepared XA transactions outlive sessions: unique ids per run
	t.Cleanup(func() { _, _ = src.Exec("XA ROLLBACK '" + ok + "'") }) // a failed run must not leave locks behind
	exec := func(qs ...string) {
		t.Helper()
		for _, q := range qs {
			if _, err := conn.ExecContext(t.Context(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	published := func(n int) string {
		t.Helper()
		var got []string
		for _, r := range mt.waitRows(t, n, 20*time.Second) {
			got = append(got, r.typ+" "+r.key)
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
	st := testenv.Get(t)
	dbName := st.NewSourceDatabase(t)
	src := st.OpenSource(t, dbName)
	mustExec(t, src, "CREATE TABLE x (id INT PRIMARY KEY)")
	cfg := testConfig(t, st, dbName)
	mt := startMem(t, cfg, 2, nil)
	conn, err := src.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	xid := dbName + "-held"
	t.Cleanup(func() { _, _ = src.Exec("XA ROLLBACK '" + xid + "'") })
	for _, q := range []string{"XA START '" + xid + "'", "INSERT INTO x VALUES (2)", "XA END '" + xid + "'", "XA PREPARE '" + xid + "'"} {
		if _, err := conn.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
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
	if _, err := conn.ExecContext(t.Context(), "XA COMMIT '"+xid+"'"); err != nil {
		t.Fatal(err)
	}
	mustExec(t, src, "INSERT INTO x VALUES (4)")
	got := map[string]bool{}
	for _, r := range again.waitRows(t, 2, 20*time.Second) {
		got[r.typ+" "+r.key] = true
	}
	deadline := time.Now().Add(10 * time.Second)
	for !got["INSERT 2"] || !got["INSERT 4"] {
		if time.Now().After(deadline) {
			t.Fatalf("after the restart published %v; want the prepared row 2 at its XA COMMIT and row 4", got)
		}
		time.Sleep(50 * time.Millisecond)
		rows, _ := flatten(again.rec.snapshot())
		for _, r := range rows {
			got[r.typ+" "+r.key] = true
		}
	}
}
