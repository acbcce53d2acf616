package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/canal"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
)

// lastXid returns the start and end of the last XID event in file from pos on (SHOW BINLOG EVENTS).
func lastXid(t *testing.T, db *sql.DB, file string, pos uint64) (start, end uint64) {
	t.Helper()
	rows, err := db.Query(fmt.Sprintf("SHOW BINLOG EVENTS IN '%s' FROM %d", file, pos))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, typ, info string
		var p, serverID, endPos uint64
		if err := rows.Scan(&name, &p, &typ, &serverID, &endPos, &info); err != nil {
			t.Fatal(err)
		}
		if typ == "Xid" {
			start, end = p, endPos
		}
	}
	if end == 0 {
		t.Fatalf("no Xid event in %s after %d", file, pos)
	}
	return start, end
}

// resync runs `binlog-tailer resync` with o's source and data dir plus args.
func resync(o *options, args ...string) error {
	cmd := resyncCmd()
	cmd.SetArgs(append([]string{"--source-addr", o.SourceAddr, "--user", o.User, "--password", o.Password,
		"--server-id", fmt.Sprint(o.ServerID), "--data-dir", o.DataDir, "--log-level", "error"}, args...))
	cmd.SetOut(os.Stderr)
	return cmd.ExecuteContext(context.Background())
}

// TestResyncFromCanalAndEpochs runs `resync --from-canal` on a ZooKeeper cursor at a transaction
// end (the checkpoint lands after it), then checks the epoch rules: a later resync defaults to
// the next epoch, and an explicit lower or same epoch going backwards is refused.
func TestResyncFromCanalAndEpochs(t *testing.T) {
	st := testenv.Get(t)
	dbName := st.NewSourceDatabase(t)
	src := st.OpenSource(t, dbName)
	o := defaultOptions()
	o.SourceAddr, o.User, o.Password = st.SourceAddr, st.ReplUser, st.ReplPassword
	o.ServerID, o.DataDir = 4242000+uint32(os.Getpid()%1000), t.TempDir()
	head, err := canal.SourceHead(context.Background(), &o.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Exec("CREATE TABLE t (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Exec("INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	start, end := lastXid(t, src, head.File, head.Pos)
	cursor := filepath.Join(t.TempDir(), "cursor.json")
	body := fmt.Sprintf(`{"@type":"com.alibaba.otter.canal.protocol.position.LogPosition","postion":{"included":false,"journalName":%q,"position":%d}}`,
		head.File, start)
	if err := os.WriteFile(cursor, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := resync(&o, "--from-canal", cursor); err != nil {
		t.Fatal(err)
	}
	cp, _ := checkpoint.Load(o.DataDir)
	if cp == nil || cp.File != head.File || cp.Pos != end || cp.Epoch != 0 {
		t.Fatalf("checkpoint after --from-canal = %+v; want %s:%d (after the XID at %d), epoch 0", cp, head.File, end, start)
	}
	if err := resync(&o, "--from-canal", cursor); err != nil {
		t.Fatal(err)
	}
	if cp, _ = checkpoint.Load(o.DataDir); cp.Epoch != 1 {
		t.Fatalf("second resync: epoch %d, want 1 (the checkpoint's + 1)", cp.Epoch)
	}
	for _, epoch := range []string{"0", "1"} {
		err := resync(&o, "--from-file", head.File, "--from-pos", "4", "--epoch", epoch)
		if !errors.Is(err, canal.ErrVersionsBackwards) {
			t.Errorf("resync back to %s:4 with --epoch %s: %v, want ErrVersionsBackwards", head.File, epoch, err)
		}
	}
	if err := resync(&o, "--from-file", head.File, "--from-pos", fmt.Sprint(end+1000), "--epoch", "1"); err != nil {
		t.Errorf("resync forward in the same epoch: %v", err)
	}
}
