package canal

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// canalView is what a Canal client reads from a message body (FlatMessage's fields).
type canalView struct {
	IsDDL   bool     `json:"isDdl"`
	Type    string   `json:"type"`
	SQL     string   `json:"sql"`
	PKNames []string `json:"pkNames"`
	Data    []any    `json:"data"`
	GTID    *string  `json:"gtid"`
	Ferry   struct {
		GTID string `json:"gtid"`
	} `json:"ferry"`
}

// TestCanalClientView checks the message bytes of a live stream the way a Canal consumer reads
// them: each DDL is runnable (isDdl && sql != "", Canal's adapters' test) on queue 0 only and its
// copies on the other queues do nothing in Canal's adapters, and every message has a top-level
// gtid: the executed GTID set with the transaction's GTID.
func TestCanalClientView(t *testing.T) {
	st, dbName, src := newSourceDB(t, "CREATE TABLE t (id INT PRIMARY KEY, a INT)")
	const queues = 4
	mt := startMem(t, testConfig(t, st, dbName), queues, nil)
	mustExec(t, src,
		"INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)",
		"ALTER TABLE t ADD COLUMN c INT",
		"TRUNCATE TABLE t",
		"INSERT INTO t VALUES (4, 40, 400)",
	)
	mt.waitRows(t, 4, 20*time.Second)
	runnable := map[uint64]int{}
	copies := map[uint64]int{}
	for _, r := range mt.rec.Snapshot() {
		var v canalView
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Fatal(err)
		}
		checkTopLevelGTID(t, v)
		if !r.Msg.IsDDL {
			continue
		}
		ver := r.Msg.Ferry.Versions[0]
		switch {
		case v.IsDDL && v.SQL != "":
			runnable[ver]++
			if r.Queue != 0 || v.Type != r.Msg.Type {
				t.Errorf("runnable DDL %q (%s) on queue %d; want queue 0 with its own type", v.SQL, v.Type, r.Queue)
			}
		case v.Type == "QUERY" && v.Data == nil && v.PKNames != nil && len(v.PKNames) == 0:
			copies[ver]++
		default:
			t.Errorf("queue %d: DDL copy a Canal adapter would act on: %s", r.Queue, r.Body)
		}
	}
	if len(runnable) != 2 {
		t.Fatalf("runnable DDL statements %v, want 2 (ALTER, TRUNCATE)", runnable)
	}
	for ver, n := range runnable {
		if n != 1 || copies[ver] != queues-1 {
			t.Errorf("DDL version %d: %d runnable, %d copies; want 1 and %d", ver, n, copies[ver], queues-1)
		}
	}
}

func checkTopLevelGTID(t *testing.T, v canalView) {
	t.Helper()
	if v.GTID == nil {
		t.Fatal("message without a top-level gtid")
	}
	set, err := mysql.ParseMariadbGTIDSet(*v.GTID)
	if err != nil || v.Ferry.GTID == "" {
		t.Fatalf("top-level gtid %q: %v (ferry.gtid %q)", *v.GTID, err, v.Ferry.GTID)
	}
	tx, err := mysql.ParseMariadbGTIDSet(v.Ferry.GTID)
	if err != nil || !set.Contain(tx) {
		t.Errorf("top-level gtid %q does not contain the transaction %q", *v.GTID, v.Ferry.GTID)
	}
}
