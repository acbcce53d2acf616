package canal

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// TestXARowsPublishedAtPrepare pins a known limit (docs/tailer.md, "XA transactions"): MariaDB
// writes an XA transaction's rows to the binlog at XA PREPARE and the outcome later as a separate
// XA COMMIT or XA ROLLBACK event group. The tailer publishes the rows when it reads them, so the
// rows of a prepared XA transaction reach the copies before it commits, and stay there if it is
// rolled back. When this test fails because the rolled-back row is no longer published, the limit
// is fixed: update the docs and turn this into a regression test.
func TestXARowsPublishedAtPrepare(t *testing.T) {
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
	for _, q := range []string{
		"XA START 'ferry-rb'", "INSERT INTO x VALUES (1)", "XA END 'ferry-rb'", "XA PREPARE 'ferry-rb'", "XA ROLLBACK 'ferry-rb'",
		"XA START 'ferry-ok'", "INSERT INTO x VALUES (2)", "XA END 'ferry-ok'", "XA PREPARE 'ferry-ok'", "XA COMMIT 'ferry-ok'",
		"INSERT INTO x VALUES (3)",
	} {
		if _, err := conn.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rows := mt.waitRows(t, 3, 20*time.Second)
	var got []string
	for _, r := range rows {
		got = append(got, r.typ+" "+r.key)
	}
	sort.Strings(got)
	// Row 1 was rolled back at the source and is published anyway (the limit).
	if strings.Join(got, ",") != "INSERT 1,INSERT 2,INSERT 3" {
		t.Fatalf("published %v; want the rolled-back XA row 1 too (the documented limit), rows 2 and 3", got)
	}
}
