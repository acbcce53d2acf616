package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// TestNoPrimaryKeyTableAllColumns runs a table without a primary key through tailer (with
// no-pk-policy: all-columns), broker and both replayers: created mid-stream, rows with NULL,
// empty-string and BLOB values, identical duplicates, an update and a delete of one of two different rows,
// an update of two identical rows. Both copies must hold the source's distinct rows (verify
// compares such tables as row sets), and the MySQL copy exactly as many live rows.
func TestNoPrimaryKeyTableAllColumns(t *testing.T) {
	st := testenv.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	p := startPipeline(t, st, "--no-pk-policy", "all-columns")
	src := st.OpenSource(t, p.SourceDB)
	stmts := []string{
		"CREATE TABLE np (a INT, b VARCHAR(20) NULL, c TEXT NULL, d BLOB NULL, e DOUBLE NULL)",
		"INSERT INTO np VALUES (1, 'x', REPEAT('long ', 300), UNHEX('00FF7E3A80'), 1.5), (2, '', NULL, NULL, NULL), (2, NULL, NULL, NULL, NULL)",
		"INSERT INTO np VALUES (3, 'dup', 't', UNHEX('00'), -0.25), (3, 'dup', 't', UNHEX('00'), -0.25), (4, 'dup2', NULL, '', 0)",
		"UPDATE np SET d = UNHEX('0102') WHERE a = 1",
		"DELETE FROM np WHERE a = 2 AND b = ''",
		"UPDATE np SET b = 'dup-changed' WHERE a = 3", // two identical rows: both change
		"INSERT INTO np VALUES (5, 'gone', NULL, NULL, NULL)",
		"DELETE FROM np WHERE a = 5",
	}
	execConverged(ctx, t, p, src, stmts)
	var distinct, live int
	if err := src.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT DISTINCT a, b, c, d, e FROM np) x").Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if err := st.OpenCopy(t, p.CopyDB["mysql"]).QueryRowContext(ctx, "SELECT COUNT(*) FROM np WHERE _deleted = 0").Scan(&live); err != nil {
		t.Fatal(err)
	}
	if distinct != 4 || live != distinct {
		t.Fatalf("source has %d distinct rows (want 4), MySQL copy %d live rows", distinct, live)
	}
}
