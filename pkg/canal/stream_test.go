package canal

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

func TestUpdatesDeletesAndPKChange(t *testing.T) {
	st, dbName, src := newSourceDB(t, "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b INT)",
		"CREATE TABLE c (k1 INT, k2 VARCHAR(5), v INT, PRIMARY KEY (k2, k1))")
	mt := startMem(t, testConfig(t, st, dbName), 4, nil)
	mustExec(t, src,
		"INSERT INTO t VALUES (1,'a',1),(2,'b',2),(3,'c',3)",
		"UPDATE t SET b = b + 10 WHERE id <= 2",   // 2 plain updates
		"UPDATE t SET id = id + 100 WHERE id = 3", // PK change: DELETE 3 + INSERT 103
		"DELETE FROM t WHERE id = 1",
		"INSERT INTO c VALUES (1,'x',1)",
		"UPDATE c SET k1 = 2 WHERE k1 = 1", // composite PK change
	)
	rows := mt.waitRows(t, 11, 20*time.Second)
	publishtest.CheckOrder(t, rows)
	got := []string{}
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s %s %s", r.Table, r.Type, r.Key))
	}
	want := []string{"t INSERT 1", "t INSERT 2", "t INSERT 3", "t UPDATE 1", "t UPDATE 2", "t DELETE 3", "t INSERT 103",
		"t DELETE 1", "c INSERT 1:x1:1", "c DELETE 1:x1:1", "c INSERT 1:x1:2"}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("published\n%v\nwant\n%v", got, want)
	}
	var del3, ins103 uint64
	for _, r := range rows {
		switch {
		case r.Type == event.TypeUpdate && r.Key == "1":
			if len(r.Old) != 1 || *r.Old["b"] != "1" || *r.Data["b"] != "11" {
				t.Errorf("update of 1: data %v old %v; want old {b:1}", r.Data, r.Old)
			}
		case r.Type == event.TypeDelete && r.Key == "3":
			del3 = r.Version
			if *r.Data["a"] != "c" {
				t.Errorf("delete must carry the before image: %v", r.Data)
			}
		case r.Type == event.TypeInsert && r.Key == "103":
			ins103 = r.Version
		}
	}
	if del3 == 0 || del3+1 != ins103 {
		t.Errorf("PK change split: delete version %d, insert version %d; want the insert one above", del3, ins103)
	}
}

// TestDDLMidStream: rows are decoded with the schema of their own event across MariaDB-only DDL,
// DDL reaches every queue, and a dropped table does not stop the stream.
func TestDDLMidStream(t *testing.T) {
	st, dbName, src := newSourceDB(t, "CREATE TABLE t (id INT PRIMARY KEY, a INT)")
	const queues = 3
	mt := startMem(t, testConfig(t, st, dbName), queues, nil)
	mustExec(t, src,
		"INSERT INTO t VALUES (1, 10)",
		"ALTER TABLE t ADD COLUMN c INT INVISIBLE",
		"INSERT INTO t (id, a, c) VALUES (2, 20, 200)",
		"CREATE OR REPLACE TABLE t (id INT PRIMARY KEY, z VARCHAR(5), a INT)",
		"INSERT INTO t VALUES (3, 'zz', 30)",
		"ALTER TABLE t DROP COLUMN z, ADD COLUMN y DATE FIRST",
		"INSERT INTO t (id, a, y) VALUES (4, 40, '2024-01-02')",
		"CREATE TABLE gone (id INT PRIMARY KEY)",
		"INSERT INTO gone VALUES (1)",
		"DROP TABLE gone",
		"INSERT INTO t (id, a) VALUES (5, 50)",
	)
	rows := mt.waitRows(t, 6, 20*time.Second)
	byKey := map[string]publishtest.Change{}
	for _, r := range rows {
		byKey[r.Table+r.Key] = r
	}
	expect := map[string]string{
		"t1": "a=10 id=1", "t2": "a=20 c=200 id=2", "t3": "a=30 id=3 z=zz", "t4": "a=40 id=4 y=2024-01-02",
		"t5": "a=50 id=5 y=NULL", "gone1": "id=1",
	}
	for k, w := range expect {
		if got := render(byKey[k].Data); got != w {
			t.Errorf("row %s = %q, want %q", k, got, w)
		}
	}
	_, ddl := publishtest.Flatten(mt.rec.Snapshot())
	perStmt := map[uint64]map[int]bool{}
	types := map[string]int{}
	for _, r := range mt.rec.Snapshot() {
		if r.Msg.IsDDL {
			v := r.Msg.Ferry.Versions[0]
			if perStmt[v] == nil {
				perStmt[v] = map[int]bool{}
				types[r.Msg.Type]++
			}
			perStmt[v][r.Queue] = true
		}
	}
	if len(perStmt) != 5 || len(ddl) != 5*queues {
		t.Errorf("DDL statements %d (messages %d), want 5 statements on %d queues each", len(perStmt), len(ddl), queues)
	}
	for v, qs := range perStmt {
		if len(qs) != queues {
			t.Errorf("DDL version %d reached queues %v, want all %d", v, qs, queues)
		}
	}
	if types[event.TypeAlter] != 2 || types[event.TypeCreate] != 2 || types[event.TypeErase] != 1 {
		t.Errorf("DDL types %v", types)
	}
	checkOrderWithDDL(t, mt.rec.Snapshot())
}

// checkOrderWithDDL: on every queue, a DDL comes after every row before it in the binlog and
// before every row after it; one key's rows are in binlog order (checkOrder).
func checkOrderWithDDL(t *testing.T, rs []publishtest.Recorded) {
	t.Helper()
	ddl, rowsMax := map[int]uint64{}, map[int]uint64{} // per queue: last DDL, newest row since
	for _, r := range rs {
		for _, v := range r.Msg.Ferry.Versions {
			if r.Msg.IsDDL {
				if v < rowsMax[r.Queue] {
					t.Fatalf("queue %d: DDL version %d after row version %d", r.Queue, v, rowsMax[r.Queue])
				}
				ddl[r.Queue] = v
				continue
			}
			if v < ddl[r.Queue] {
				t.Fatalf("queue %d: row version %d after DDL version %d", r.Queue, v, ddl[r.Queue])
			}
			rowsMax[r.Queue] = max(rowsMax[r.Queue], v)
		}
	}
	rows, _ := publishtest.Flatten(rs)
	publishtest.CheckOrder(t, rows)
}

func render(m map[string]*string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+show(v))
	}
	sort.Strings(parts)
	return strings.ReplaceAll(strings.Join(parts, " "), `"`, "")
}

func TestNoPrimaryKeyPolicies(t *testing.T) {
	st, dbName, src := newSourceDB(t, "CREATE TABLE nopk (a INT, b VARCHAR(5))")

	t.Run("halt", func(t *testing.T) {
		mt := startMem(t, testConfig(t, st, dbName), 2, nil)
		mustExec(t, src, "INSERT INTO nopk VALUES (1, 'x')")
		select {
		case err := <-mt.done:
			mt.done <- err
			if !errors.Is(err, ErrNoPrimaryKey) || !strings.Contains(err.Error(), dbName+".nopk") ||
				!strings.Contains(err.Error(), "ADD PRIMARY KEY") {
				t.Fatalf("err = %v; want ErrNoPrimaryKey naming the table and the fix", err)
			}
			// The replayer copies such tables as sets of rows: the message offers the policy
			// and says what it costs.
			if !strings.Contains(err.Error(), "no-pk-policy: all-columns") || !strings.Contains(err.Error(), "identical duplicate rows become one row") {
				t.Fatalf("err = %v; want the all-columns policy offered with its limitation", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("tailer did not halt on a table without primary key")
		}
	})
	t.Run("all-columns", func(t *testing.T) {
		cfg := testConfig(t, st, dbName)
		cfg.NoPKPolicy = NoPKAllColumns
		mt := startMem(t, cfg, 2, nil)
		mustExec(t, src, "INSERT INTO nopk VALUES (2, 'y')", "UPDATE nopk SET b = 'z' WHERE a = 2")
		rows := mt.waitRows(t, 3, 20*time.Second)
		perKey := map[string][]string{} // keys may sit on different queues: only per-key order holds
		for _, r := range rows {
			perKey[r.Key] = append(perKey[r.Key], r.Type)
		}
		if got := fmt.Sprint(perKey); got != "map[1:21:y:[INSERT DELETE] 1:21:z:[INSERT]]" {
			t.Fatalf("all-columns rows per key = %s", got)
		}
		publishtest.CheckOrder(t, rows)
	})
}

// TestExcludedColumnsAndTables: excluded columns and tables never reach the broker.
func TestExcludedColumnsAndTables(t *testing.T) {
	st, dbName, src := newSourceDB(t, "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(50), secret VARCHAR(50))",
		"CREATE TABLE audit_log (id INT PRIMARY KEY)")
	cfg := testConfig(t, st, dbName)
	cfg.Exclude = []string{dbName + ".audit_*"}
	cfg.ExcludeColumns = []string{dbName + ".users.secret"}
	mt := startMem(t, cfg, 2, nil)
	mustExec(t, src, "INSERT INTO audit_log VALUES (1)", "INSERT INTO users VALUES (1, 'a@b', 'pw')", "INSERT INTO audit_log VALUES (2)")
	rows := mt.waitRows(t, 1, 20*time.Second)
	time.Sleep(200 * time.Millisecond)
	rows, _ = publishtest.Flatten(mt.rec.Snapshot())
	if len(rows) != 1 || rows[0].Table != "users" || rows[0].Data["secret"] != nil || render(rows[0].Data) != "email=a@b id=1" {
		t.Fatalf("rows = %+v", rows)
	}
	for _, r := range mt.rec.Snapshot() {
		if r.Msg.MySQLType["secret"] != "" || strings.Contains(strings.Join(r.Msg.Ferry.Columns, ","), "secret") {
			t.Fatalf("excluded column leaked into metadata: %+v", r.Msg)
		}
	}
}

// TestResumeFromCheckpoint: a stopped tailer resumes from its checkpoint with nothing missing.
func TestResumeFromCheckpoint(t *testing.T) {
	st, dbName, src := newSourceDB(t, "CREATE TABLE t (id INT PRIMARY KEY, v INT)")
	cfg := testConfig(t, st, dbName)
	first := startMem(t, cfg, 2, nil)
	mustExec(t, src, "INSERT INTO t VALUES (1,1),(2,2)")
	first.waitRows(t, 2, 20*time.Second)
	if err := first.stop(t); err != nil {
		t.Fatal(err)
	}
	cp, err := checkpoint.Load(cfg.DataDir)
	if err != nil || cp == nil {
		t.Fatalf("checkpoint after stop: %v %v", cp, err)
	}
	mustExec(t, src, "INSERT INTO t VALUES (3,3)", "UPDATE t SET v = 20 WHERE id = 2")
	second := startMem(t, cfg, 2, cp)
	rows := second.waitRows(t, 2, 20*time.Second)
	time.Sleep(200 * time.Millisecond)
	rows, _ = publishtest.Flatten(second.rec.Snapshot())
	sort.Slice(rows, func(i, j int) bool { return rows[i].Version < rows[j].Version })
	if len(rows) != 2 || rows[0].Key != "3" || rows[1].Type != event.TypeUpdate {
		t.Fatalf("after resume got %+v; want exactly insert 3 and update 2", rows)
	}
	firstRows, _ := publishtest.Flatten(first.rec.Snapshot())
	if rows[0].Version <= firstRows[len(firstRows)-1].Version {
		t.Errorf("versions went backwards across restart")
	}
}

// TestBrokerDownKeepsCheckpoint: while sends fail, the tailer retries and the checkpoint does not
// move past unacknowledged rows; when the broker is back everything arrives.
func TestBrokerDownKeepsCheckpoint(t *testing.T) {
	st, dbName, src := newSourceDB(t, "CREATE TABLE t (id INT PRIMARY KEY)")
	cfg := testConfig(t, st, dbName)
	cfg.MaxRetryDelay = 100 * time.Millisecond
	mt := startMem(t, cfg, 2, nil)
	time.Sleep(300 * time.Millisecond) // let the start checkpoint settle
	down := make(chan struct{})
	mt.rec.SetFail(func() error {
		select {
		case <-down:
			return nil
		default:
			return errInjected
		}
	})
	mustExec(t, src, "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)")
	time.Sleep(1500 * time.Millisecond)
	during, _ := checkpoint.Load(cfg.DataDir)
	beforeFailed(t, mt.rec, during)
	if errs := testutilCount(mt.tailer.metrics.SendErrors); errs < 2 {
		t.Fatalf("send errors = %v, want retries", errs)
	}
	close(down)
	mt.waitRows(t, 2, 20*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		after, _ := checkpoint.Load(cfg.DataDir)
		if reachedHead(after, Head{File: during.File, Pos: during.Pos}, 1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("checkpoint did not advance after the broker came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = context.Background
}

// TestStopWhileBrokerDown: SIGTERM while every send fails still stops within the drain timeout,
// and the checkpoint stays before the unacknowledged rows.
func TestStopWhileBrokerDown(t *testing.T) {
	st, dbName, src := newSourceDB(t, "CREATE TABLE t (id INT PRIMARY KEY)")
	old := DrainTimeout
	DrainTimeout = time.Second
	t.Cleanup(func() { DrainTimeout = old })
	cfg := testConfig(t, st, dbName)
	cfg.MaxBatchRows, cfg.QueueBuffer = 1, 1 // fill the lane so the reader blocks on back-pressure
	mt := startMem(t, cfg, 1, nil)
	time.Sleep(300 * time.Millisecond)
	mt.rec.SetFail(func() error { return errInjected })
	for i := 1; i <= 20; i++ {
		mustExec(t, src, fmt.Sprintf("INSERT INTO t VALUES (%d)", i))
	}
	time.Sleep(time.Second)
	start := time.Now()
	mt.cancel()
	select {
	case err := <-mt.done:
		mt.done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("tailer did not stop within 10s while the broker was down")
	}
	t.Logf("stopped in %v", time.Since(start))
	after, _ := checkpoint.Load(cfg.DataDir)
	beforeFailed(t, mt.rec, after)
}

// reachedHead reports whether cp is at or beyond h + slack bytes.
func reachedHead(cp *checkpoint.State, h Head, slack uint64) bool {
	ci, _ := event.FileIndex(cp.File)
	hi, _ := event.FileIndex(h.File)
	return ci > hi || (ci == hi && cp.Pos >= h.Pos+slack)
}
