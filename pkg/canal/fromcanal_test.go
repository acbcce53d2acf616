package canal

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// canalAcks are the points Canal would have acknowledged in one database's part of the binlog,
// built from the event headers exactly as Canal's LogEventConvert and CanalEventUtils build an
// EntryPosition: the event's file, start (logPos - eventLen), time in ms and server id.
type canalAcks struct {
	afterID map[string]CanalPosition // the XID that ends the transaction that inserted id
	ddl     CanalPosition            // the ALTER statement
}

// scanCanalAcks reads the binlog from head until the transaction that inserted lastID.
func scanCanalAcks(t *testing.T, cfg Config, head Head, db, lastID string) canalAcks {
	t.Helper()
	sc, err := (&Tailer{cfg: cfg, log: publishtest.Logger(t)}).syncerConfig()
	if err != nil {
		t.Fatal(err)
	}
	sc.ServerID = uint32(100000 + rand.IntN(1<<30))
	syncer := replication.NewBinlogSyncer(sc)
	defer syncer.Close()
	s, err := syncer.StartSync(mysql.Position{Name: head.File, Pos: uint32(head.Pos)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	acks := canalAcks{afterID: map[string]CanalPosition{}}
	file, ids := head.File, []string(nil)
	for {
		e, err := s.GetEvent(ctx)
		if err != nil {
			t.Fatalf("scan binlog: %v", err)
		}
		h := e.Header
		pos := func() CanalPosition {
			start, sid := uint64(h.LogPos-h.EventSize), h.ServerID
			return CanalPosition{JournalName: file, Position: &start, Timestamp: int64(h.Timestamp) * 1000, ServerID: &sid}
		}
		switch ev := e.Event.(type) {
		case *replication.RotateEvent:
			file = string(ev.NextLogName)
		case *replication.RowsEvent:
			if string(ev.Table.Schema) == db {
				for _, r := range ev.Rows {
					ids = append(ids, fmt.Sprint(r[0]))
				}
			}
		case *replication.QueryEvent:
			if string(ev.Schema) == db && strings.HasPrefix(string(ev.Query), "ALTER") {
				acks.ddl = pos()
			}
		case *replication.XIDEvent:
			for _, id := range ids {
				acks.afterID[id] = pos()
			}
			if len(ids) > 0 && ids[len(ids)-1] == lastID {
				return acks
			}
			ids = nil
		}
	}
}

// metaDatFor writes p as Canal's FileMixedMetaManager writes meta.dat, fields in fastjson2's order.
func metaDatFor(t *testing.T, p CanalPosition) string {
	t.Helper()
	type cursor struct {
		Identity map[string]any `json:"identity"`
		Postion  CanalPosition  `json:"postion"`
	}
	meta := map[string]any{"destination": "example", "clientDatas": []any{map[string]any{
		"clientIdentity": map[string]any{"clientId": 1001, "destination": "example", "filter": ""},
		"cursor": cursor{Identity: map[string]any{"slaveId": -1, "sourceAddress": map[string]any{"address": "127.0.0.1", "port": 3306}},
			Postion: p},
	}}}
	b, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "meta.dat")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// insertEach inserts ids from..to into t, one transaction each.
func insertEach(t *testing.T, src *sql.DB, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		mustExec(t, src, fmt.Sprintf("INSERT INTO t (id, v) VALUES (%d, %d)", i, i*10))
	}
}

// canalHistory writes ids 1..4, an ALTER and ids 5..8 into table t of a new database, one
// transaction each, and returns the points Canal would have acknowledged in them.
func canalHistory(t *testing.T) (*testenv.Stack, *sql.DB, Config, canalAcks) {
	t.Helper()
	st, dbName, src := newSourceDB(t, "CREATE TABLE t (id INT PRIMARY KEY, v INT)")
	cfg := testConfig(t, st, dbName)
	head, err := SourceHead(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	insertEach(t, src, 1, 4)
	mustExec(t, src, "ALTER TABLE t ADD COLUMN w INT NULL")
	insertEach(t, src, 5, 8)
	return st, src, cfg, scanCanalAcks(t, cfg, head, dbName, "8")
}

// TestFromCanalNoGapNoRepeat moves from a Canal-format position (meta.dat at an acknowledged
// transaction end) to Ferry through the real broker: every row after the position arrives
// exactly once and none before it, checked against the source table.
func TestFromCanalNoGapNoRepeat(t *testing.T) {
	st, src, cfg, acks := canalHistory(t)

	// Canal's consumer acknowledged up to the end of the transaction that inserted id 4.
	p, err := ParseCanalPosition(mustRead(t, metaDatFor(t, acks.afterID["4"])))
	if err != nil {
		t.Fatal(err)
	}
	target, err := CanalStart(context.Background(), &cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	if target.Pos <= *p.Position || target.File != p.JournalName {
		t.Fatalf("resolved %s:%d from Canal's %s:%d; want after the XID event", target.File, target.Pos, p.JournalName, *p.Position)
	}
	if _, err := Resync(&cfg, target); err != nil {
		t.Fatal(err)
	}
	cfg.Topic = st.NewTopic(t, 4)
	reader := publishtest.ReadTopic(t, st, cfg.Topic)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, publishtest.Logger(t), prometheus.NewRegistry(), nil) }()
	t.Cleanup(func() { cancel(); <-done })
	insertEach(t, src, 9, 12) // written while Ferry streams

	want := sourceIDs(t, src, "id > 4")
	got, ddl := waitIDs(t, reader, len(want), 60*time.Second)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("published ids %v, source rows after the position %v", got, want)
	}
	if ddl != 4 {
		t.Errorf("%d DDL messages; the ALTER after the position must arrive once on each of the 4 queues", ddl)
	}
}

// TestFromCanalAtDDL: a ZooKeeper cursor at an acknowledged DDL statement resumes after it: the
// ALTER is not published again, the rows after it are.
func TestFromCanalAtDDL(t *testing.T) {
	_, src, cfg, acks := canalHistory(t)
	cur, err := json.Marshal(map[string]any{"@type": "com.alibaba.otter.canal.protocol.position.LogPosition",
		"identity": map[string]any{"slaveId": -1}, "postion": acks.ddl})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseCanalPosition(cur)
	if err != nil {
		t.Fatal(err)
	}
	target, err := CanalStart(context.Background(), &cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	mt := startMem(t, cfg, 3, &target)
	insertEach(t, src, 9, 10)
	mt.waitRows(t, 6, 30*time.Second)
	time.Sleep(300 * time.Millisecond) // a repeat would arrive with the rows
	rows, ddl := publishtest.Flatten(mt.rec.Snapshot())
	var ids []string
	for _, r := range rows {
		ids = append(ids, *r.Data["id"])
	}
	if strings.Join(sortIDs(ids), ",") != "5,6,7,8,9,10" || len(ddl) != 0 {
		t.Fatalf("after a DDL cursor: ids %v, %d DDL messages; want 5..10 and none", ids, len(ddl))
	}

	// A cursor of another server (its time differs) is refused, not silently used.
	bad := p
	bad.Timestamp -= 3_600_000
	if _, err := CanalStart(context.Background(), &cfg, bad); err == nil || !strings.Contains(err.Error(), "another server") {
		t.Fatalf("cursor with a foreign timestamp: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sourceIDs returns the ids of t's rows matching where, sorted numerically.
func sourceIDs(t *testing.T, db *sql.DB, where string) []string {
	t.Helper()
	rows, err := db.Query("SELECT id FROM t WHERE " + where + " ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// waitIDs waits until the topic holds n row changes, then a little longer for repeats, and
// returns the ids of every row change in id order (a repeat shows twice) and the DDL count.
func waitIDs(t *testing.T, r *publishtest.TopicReader, n int, timeout time.Duration) ([]string, int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		rows, _ := r.Ordered(t)
		if len(rows) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d row changes consumed within %v", len(rows), n, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	rows, ddl := r.Ordered(t)
	ids := make([]string, 0, len(rows))
	for _, rc := range rows {
		if rc.Type != event.TypeInsert {
			t.Errorf("unexpected %s of id %s", rc.Type, *rc.Data["id"])
		}
		ids = append(ids, *rc.Data["id"])
	}
	return sortIDs(ids), ddl
}

// sortIDs sorts decimal ids numerically.
func sortIDs(ids []string) []string {
	sort.Slice(ids, func(i, j int) bool {
		return len(ids[i]) < len(ids[j]) || (len(ids[i]) == len(ids[j]) && ids[i] < ids[j])
	})
	return ids
}
