package verify

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// Copy is the copy a Verifier compares the source with.
type Copy interface {
	// Name is the sink name used in output and metric labels ("mysql", "clickhouse").
	Name() string
	// open returns the copy side of table ts and the canonical columns both sides compare in.
	open(ctx context.Context, ts *tableSchema) (side, []column, error)
}

// MySQLCopy is a MySQL/MariaDB copy written by the replayer's mysql sink: table
// <CopyDatabase>.<table> with the source columns plus _version and _deleted (1 = tombstone).
// DB must run sessions with time_zone '+00:00'.
type MySQLCopy struct {
	DB *sql.DB
	// Database maps the source database to the copy database; "{db}" is replaced by the source
	// database name (default of the replayer: "{db}_copy").
	Database string
}

var _ Copy = (*MySQLCopy)(nil)

// Name returns "mysql".
func (c *MySQLCopy) Name() string { return "mysql" }

func (c *MySQLCopy) open(ctx context.Context, ts *tableSchema) (side, []column, error) {
	db := mapDatabase(c.Database, ts.Ref.Database)
	rows, err := c.DB.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, db, ts.Ref.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("read columns of copy table %s.%s: %w", db, ts.Ref.Name, err)
	}
	have := map[string]string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("read columns of copy table %s.%s: %w", db, ts.Ref.Name, err)
		}
		have[n] = n
	}
	rows.Close()
	if len(have) == 0 {
		return absentTable(ts)
	}
	if err := checkCopyColumns(ts, have, db); err != nil {
		return nil, nil, err
	}
	cols := compareColumns(ts, nil)
	return newMySQLSide(c.DB, db, ts.Ref.Name, cols, keyColumns(ts, cols), "`_deleted` = 0"), cols, nil
}

// ClickHouseCopy is a ClickHouse copy written by the replayer's clickhouse sink:
// ReplacingMergeTree(_version) tables ordered by the primary key with a _deleted column, read
// with FINAL. Temporal columns are compared at the precision the copy's column type keeps
// (ClickHouse 18.16's DateTime keeps whole seconds; the source side is truncated to match).
type ClickHouseCopy struct {
	DB *sql.DB
	// Database maps the source database to the ClickHouse database; "{db}" as for MySQLCopy.
	Database string
}

var _ Copy = (*ClickHouseCopy)(nil)

// Name returns "clickhouse".
func (c *ClickHouseCopy) Name() string { return "clickhouse" }

func (c *ClickHouseCopy) open(ctx context.Context, ts *tableSchema) (side, []column, error) {
	db := mapDatabase(c.Database, ts.Ref.Database)
	types, err := chColumnTypes(ctx, c.DB, db, ts.Ref.Name)
	if err != nil {
		return nil, nil, err
	}
	if len(types) == 0 {
		return absentTable(ts)
	}
	if err := checkCopyColumns(ts, types, db); err != nil {
		return nil, nil, err
	}
	cols := compareColumns(ts, func(col string, fsp int) int { return chKeepsFSP(types[col], fsp) })
	return newCHSide(c.DB, db, ts.Ref.Name, cols, keyColumns(ts, cols), types), cols, nil
}

// absentTable is the copy side of a table the copy does not have (the replayers create copy
// tables at their first row; `replayer schema` creates them all): it is compared as an empty
// table, so an empty source table verifies and every row of a non-empty one is reported missing.
func absentTable(ts *tableSchema) (side, []column, error) {
	cols := compareColumns(ts, nil)
	return emptySide{}, cols, nil
}

// emptySide is a side without rows.
type emptySide struct{}

func (emptySide) checksum(context.Context, keyRange) (checksum, error) { return checksum{}, nil }
func (emptySide) rowHashes(context.Context, keyRange, int) (map[string]keyHash, error) {
	return map[string]keyHash{}, nil
}
func (emptySide) keyHashes(context.Context, []key) (map[string]keyHash, error) {
	return map[string]keyHash{}, nil
}

// checkCopyColumns fails when the copy table lacks source columns.
func checkCopyColumns(ts *tableSchema, have map[string]string, db string) error {
	var missing []string
	for _, c := range ts.Columns {
		if _, ok := have[c.Name]; !ok {
			missing = append(missing, c.Name)
		}
	}
	for _, m := range []string{"_version", "_deleted"} {
		if _, ok := have[m]; !ok {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("copy table %s.%s lacks columns %s (schema drift: apply the source's DDL to the copy or re-create it)", db, ts.Ref.Name, strings.Join(missing, ", "))
	}
	return nil
}

// mapDatabase replaces "{db}" in template with source; a template without it is used as is.
func mapDatabase(template, source string) string {
	if strings.Contains(template, "{db}") {
		return strings.ReplaceAll(template, "{db}", source)
	}
	return template
}
