package chsink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// errSweepVersion refuses the version of a sweep for epoch 0 (backfill.SweepVersion(0)), which
// has no epoch before it.
var errSweepVersion = errors.New("sweep needs the resync's new epoch (>= 1); epoch 0 has nothing before it")

// Sweep is mysqlsink.Sweep for a ClickHouse copy table: it inserts a tombstone carrying version
// for every live row (read FINAL) whose version is below it; ReplacingMergeTree then keeps the
// tombstone. No mutation is used. It returns the number of rows tombstoned.
func Sweep(ctx context.Context, db *sql.DB, copyDB, table string, version uint64) (int64, error) {
	if version == math.MaxUint64 {
		return 0, errSweepVersion
	}
	cols, err := sweepColumns(ctx, db, copyDB, table)
	if err != nil {
		return 0, err
	}
	src := fmt.Sprintf("(SELECT * FROM %s.%s FINAL) WHERE %s < %d AND %s = 0", Quote(copyDB), Quote(table), versionCol, version, deletedCol)
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT count() FROM "+src).Scan(&n); err != nil {
		return 0, fmt.Errorf("sweep %s.%s: count: %w", copyDB, table, err)
	}
	if n == 0 {
		return 0, nil
	}
	list := strings.Join(cols, ", ")
	q := fmt.Sprintf("INSERT INTO %s.%s (%s, %s, %s) SELECT %s, toUInt64(%d), toUInt8(1) FROM %s",
		Quote(copyDB), Quote(table), list, versionCol, deletedCol, list, version, src)
	if _, err := db.ExecContext(ctx, q); err != nil {
		return 0, fmt.Errorf("sweep %s.%s: %w", copyDB, table, err)
	}
	return n, nil
}

// sweepColumns lists the non-meta columns of a ClickHouse table, quoted (system.columns of 18.16
// has no position; the order does not matter to INSERT ... SELECT with one list on both sides).
func sweepColumns(ctx context.Context, db *sql.DB, database, table string) ([]string, error) {
	types, err := columnTypes(ctx, db, database, table)
	if err != nil {
		return nil, err
	}
	var out []string
	for n := range types {
		if !sink.IsMetaColumn(n) {
			out = append(out, Quote(n))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("clickhouse table %s.%s not found", database, table)
	}
	return out, nil
}
