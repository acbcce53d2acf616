package source

import (
	"context"
	"database/sql"
	"fmt"
)

// ColumnInfo is a source column as information_schema.COLUMNS describes it.
type ColumnInfo struct {
	Name       string
	ColumnType string // COLUMN_TYPE, e.g. "decimal(12,2)", "bigint(20) unsigned"
	DataType   string // DATA_TYPE, e.g. "decimal"
	FSP        int    // DATETIME_PRECISION for temporal types
	Charset    string // CHARACTER_SET_NAME ("" for non-text columns)
	Scale      int    // NUMERIC_SCALE of DECIMAL columns
}

// Columns reads the columns of database.table in ordinal order; none when the table does not
// exist (or the user cannot see it).
func Columns(ctx context.Context, db *sql.DB, database, table string) ([]ColumnInfo, error) {
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, COALESCE(DATETIME_PRECISION, 0),
		COALESCE(CHARACTER_SET_NAME, ''), IF(DATA_TYPE IN ('decimal', 'numeric'), COALESCE(NUMERIC_SCALE, 0), 0)
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
		database, table)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s.%s: %w", database, table, err)
	}
	defer rows.Close()
	var out []ColumnInfo
	for rows.Next() {
		var c ColumnInfo
		if err := rows.Scan(&c.Name, &c.ColumnType, &c.DataType, &c.FSP, &c.Charset, &c.Scale); err != nil {
			return nil, fmt.Errorf("read columns of %s.%s: %w", database, table, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns of %s.%s: %w", database, table, err)
	}
	return out, nil
}

// PrimaryKey reads the primary key columns of database.table in key order; none when the table
// has no primary key.
func PrimaryKey(ctx context.Context, db *sql.DB, database, table string) ([]string, error) {
	return queryStrings(ctx, db, fmt.Sprintf("read primary key of %s.%s", database, table),
		`SELECT COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`, database, table)
}

// ListTables returns the base tables of database, sorted by name.
func ListTables(ctx context.Context, db *sql.DB, database string) ([]string, error) {
	return queryStrings(ctx, db, "list tables of "+database, `SELECT TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`, database)
}

// TableDef is a source table's definition as `replayer schema` needs it: columns with their
// COLUMN_TYPE (Name and ColumnType set) and the primary key (empty for a table without one).
type TableDef struct {
	Name    string
	Columns []ColumnInfo
	PK      []string
}

// ReadTables reads the definitions of the base tables of database in one query, sorted by
// table name, columns in ordinal order.
func ReadTables(ctx context.Context, db *sql.DB, database string) ([]TableDef, error) {
	rows, err := db.QueryContext(ctx, `SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, COALESCE(k.ORDINAL_POSITION, 0)
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE'
LEFT JOIN information_schema.KEY_COLUMN_USAGE k ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
  AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'
WHERE c.TABLE_SCHEMA = ? ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`, database)
	if err != nil {
		return nil, fmt.Errorf("read source schema of %s: %w", database, err)
	}
	defer rows.Close()
	var out []TableDef
	var pkPos []map[int]string // per table: key position -> column
	for rows.Next() {
		var table string
		var c ColumnInfo
		var pos int
		if err := rows.Scan(&table, &c.Name, &c.ColumnType, &pos); err != nil {
			return nil, fmt.Errorf("read source schema of %s: %w", database, err)
		}
		if len(out) == 0 || out[len(out)-1].Name != table {
			out, pkPos = append(out, TableDef{Name: table}), append(pkPos, map[int]string{})
		}
		t := &out[len(out)-1]
		t.Columns = append(t.Columns, c)
		if pos > 0 {
			pkPos[len(out)-1][pos] = c.Name
		}
	}
	for i, m := range pkPos {
		for p := 1; p <= len(m); p++ {
			out[i].PK = append(out[i].PK, m[p])
		}
	}
	return out, rows.Err()
}

// EstimateRows returns information_schema's row estimate of database.table (0 if unknown).
func EstimateRows(ctx context.Context, db *sql.DB, database, table string) int64 {
	var n sql.NullInt64
	_ = db.QueryRowContext(ctx, `SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
		database, table).Scan(&n)
	return n.Int64
}

// queryStrings runs q and returns its single text column; what names the read in errors.
func queryStrings(ctx context.Context, db *sql.DB, what, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
