package backfill

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// sweepBatch is the number of rows one MySQL sweep statement tombstones (short row locks).
const sweepBatch = 5000

// SweepVersion is the version of the tombstones a sweep for epoch writes: just below every
// version of the epoch (epoch<<56), above every version of earlier epochs.
func SweepVersion(epoch uint8) uint64 {
	return uint64(epoch)<<(event.FileIndexBits+event.PositionBits) - 1
}

// SweepMySQL tombstones the live rows of MySQL copy table copyDB.table whose version predates
// epoch: after a resync's backfill with that epoch was applied, these are exactly the rows deleted
// from the source while no binlog was read (every row still at the source was re-snapshotted
// with a version of the new epoch). The tombstones carry SweepVersion(epoch), so a backfill row
// applied later still wins: running the sweep too early hides rows only until their backfill
// row arrives. It works in batches of sweepBatch rows and returns the number of rows tombstoned.
func SweepMySQL(ctx context.Context, db *sql.DB, copyDB, table string, epoch uint8) (int64, error) {
	if epoch == 0 {
		return 0, fmt.Errorf("sweep needs the resync's new epoch (>= 1); epoch 0 has nothing before it")
	}
	v := SweepVersion(epoch)
	q := fmt.Sprintf("UPDATE %s.%s SET `_deleted` = 1, `_version` = ? WHERE `_version` < ? AND `_deleted` = 0 LIMIT %d",
		quote(copyDB), quote(table), sweepBatch)
	var total int64
	for {
		res, err := db.ExecContext(ctx, q, v, v)
		if err != nil {
			return total, fmt.Errorf("sweep %s.%s: %w", copyDB, table, err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < sweepBatch {
			return total, nil
		}
	}
}

// SweepClickHouse is SweepMySQL for a ClickHouse copy table: it inserts a tombstone version of
// every live row (read FINAL) whose version predates epoch; ReplacingMergeTree then keeps the
// tombstone. No mutation is used.
func SweepClickHouse(ctx context.Context, db *sql.DB, copyDB, table string, epoch uint8) (int64, error) {
	if epoch == 0 {
		return 0, fmt.Errorf("sweep needs the resync's new epoch (>= 1); epoch 0 has nothing before it")
	}
	cols, err := chColumns(ctx, db, copyDB, table)
	if err != nil {
		return 0, err
	}
	v := SweepVersion(epoch)
	src := fmt.Sprintf("(SELECT * FROM %s.%s FINAL) WHERE `_version` < %d AND `_deleted` = 0", chQuote(copyDB), chQuote(table), v)
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT count() FROM "+src).Scan(&n); err != nil {
		return 0, fmt.Errorf("sweep %s.%s: count: %w", copyDB, table, err)
	}
	if n == 0 {
		return 0, nil
	}
	list := strings.Join(cols, ", ")
	q := fmt.Sprintf("INSERT INTO %s.%s (%s, `_version`, `_deleted`) SELECT %s, toUInt64(%d), toUInt8(1) FROM %s",
		chQuote(copyDB), chQuote(table), list, list, v, src)
	if _, err := db.ExecContext(ctx, q); err != nil {
		return 0, fmt.Errorf("sweep %s.%s: %w", copyDB, table, err)
	}
	return n, nil
}

// chColumns lists the non-meta columns of a ClickHouse table, quoted (system.columns of 18.16
// has no position; the order does not matter to INSERT ... SELECT with one list on both sides).
func chColumns(ctx context.Context, db *sql.DB, database, table string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM system.columns WHERE database = ? AND table = ?", database, table)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s.%s: %w", database, table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("read columns of %s.%s: %w", database, table, err)
		}
		if n != "_version" && n != "_deleted" {
			out = append(out, chQuote(n))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("clickhouse table %s.%s not found", database, table)
	}
	return out, rows.Err()
}

func chQuote(name string) string { return "`" + strings.ReplaceAll(name, "`", "\\`") + "`" }
