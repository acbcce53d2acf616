package canal

import (
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// TestPadSpaceKeyChange: a key change from 'a' to 'a ' (one key under the PAD SPACE collations
// of the source and of the MySQL copy's utf8mb4_bin keys) is split into a DELETE and an INSERT
// whose versions differ, the INSERT's higher, so the copy ends with the row whatever the order
// in which the two halves arrive (see mysqlsink TestPadSpaceKeyChangeKeepsRow).
func TestPadSpaceKeyChange(t *testing.T) {
	st, dbName, src := newSourceDB(t, "CREATE TABLE p (k VARCHAR(5) PRIMARY KEY, v INT, w INT) COLLATE utf8mb4_unicode_ci")
	mt := startMem(t, testConfig(t, st, dbName), 4, nil)
	mustExec(t, src, "INSERT INTO p VALUES ('a', 1, 0), ('b', 2, 0)",
		"UPDATE p SET k = CONCAT(k, ' '), w = w + 1 ORDER BY k")
	rows := mt.waitRows(t, 6, 20*time.Second)
	publishtest.CheckOrder(t, rows)
	versions := map[string]uint64{}
	for _, r := range rows {
		versions[r.Type+" "+r.Key] = r.Version
	}
	for _, k := range []string{"a", "b"} {
		del, ins := versions[event.TypeDelete+" "+k], versions[event.TypeInsert+" "+k+" "]
		if del == 0 || ins != del+1 {
			t.Errorf("key change %q -> %q: delete version %d, insert version %d; want the insert one above (all: %v)", k, k+" ", del, ins, versions)
		}
	}
	if versions[event.TypeDelete+" b"] <= versions[event.TypeInsert+" a "] {
		t.Errorf("the second pair's versions must follow the first pair's: %v", versions)
	}
}
