package e2e

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
)

// TestIdentifiersWithBackticksAndUnicode creates, mid-stream, a table whose name and columns hold
// backticks, quotes and non-ASCII text (MariaDB identifiers are utf8mb3: no emoji), changes its rows and requires both copies to match: every
// stage must quote identifiers instead of pasting them into SQL.
func TestIdentifiersWithBackticksAndUnicode(t *testing.T) {
	st := testenv.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	p := startPipeline(t, st)
	src := st.OpenSource(t, p.SourceDB)
	stmts := []string{
		"CREATE TABLE `订单``明细 x` (`编号` BIGINT PRIMARY KEY, `na``me` VARCHAR(64) NULL, `qu'ote` DECIMAL(10,2) NOT NULL, `列 ü` TEXT NULL)",
		"INSERT INTO `订单``明细 x` VALUES (1, 'a`b', 1.50, '🚀'), (2, NULL, -2.25, 'x''y'), (3, '三', 0, NULL)",
		"UPDATE `订单``明细 x` SET `na``me` = CONCAT(`na``me`, '`') WHERE `编号` = 1",
		"UPDATE `订单``明细 x` SET `编号` = 30 WHERE `编号` = 3",
		"DELETE FROM `订单``明细 x` WHERE `编号` = 2",
		"INSERT INTO `订单``明细 x` VALUES (4, '\\\\ back\\\\slash', 9.99, '')",
	}
	execConverged(ctx, t, p, src, stmts)
	var n int
	if err := st.OpenCopy(t, p.CopyDB["mysql"]).QueryRowContext(ctx,
		"SELECT COUNT(*) FROM `订单``明细 x` WHERE _deleted = 0 AND `编号` IN (1, 4, 30)").Scan(&n); err != nil || n != 3 {
		t.Fatalf("MySQL copy live rows 1, 4, 30: n=%d err=%v", n, err)
	}
}

// TestOversizedRowStopsWithClearError writes one row bigger than RocketMQ's 4 MiB message limit.
// The tailer cannot publish it: it must say so naming the table and the binlog position, and must
// not move its checkpoint past the row, so nothing is lost once the operator fixes the cause.
func TestOversizedRowStopsWithClearError(t *testing.T) {
	st := testenv.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p := pipelinetest.New(t, st, pipelinetest.Options{Queues: 2})
	src := st.OpenSource(t, p.SourceDB)
	if _, err := src.ExecContext(ctx, "CREATE TABLE blobs (id INT PRIMARY KEY, body LONGBLOB)"); err != nil {
		t.Fatal(err)
	}
	p.StartTailer(t)
	if _, err := src.ExecContext(ctx, "INSERT INTO blobs VALUES (1, REPEAT('x', 5 * 1024 * 1024))"); err != nil {
		t.Fatalf("insert a 5 MiB row (max_allowed_packet?): %v", err)
	}
	rowFile, rowPos := headOf(t, src)
	if _, err := src.ExecContext(ctx, "INSERT INTO blobs VALUES (2, 'small')"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		log := p.Tailer().Log(20000)
		if strings.Contains(log, "table=blobs") && strings.Contains(log, "binlog_pos=") && strings.Contains(log, "limit 4194304B") &&
			strings.Contains(log, "level=ERROR") && strings.Contains(log, "--exclude-columns") {
			t.Logf("tailer reported:\n%s", lastLines(log, 2))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tailer did not report the oversized row within 2 minutes:\n%s", p.Tailer().Log(4000))
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // several checkpoint intervals
	cp, err := checkpoint.Load(p.TailerDir)
	if err != nil {
		t.Fatal(err)
	}
	if cp != nil && (cp.File > rowFile || cp.File == rowFile && cp.Pos >= rowPos) {
		t.Fatalf("checkpoint %s:%d moved past the unpublished row (which ends at %s:%d)", cp.File, cp.Pos, rowFile, rowPos)
	}
}

// headOf returns the source's binlog head.
func headOf(t *testing.T, db *sql.DB) (string, uint64) {
	var file, doDB, ignoreDB string
	var pos uint64
	if err := db.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, &doDB, &ignoreDB); err != nil {
		t.Fatalf("SHOW MASTER STATUS: %v", err)
	}
	return file, pos
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
