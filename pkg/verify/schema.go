package verify

import (
	"context"
	"database/sql"
	"fmt"
	"path"
	"slices"
	"strings"
)

// TableRef names a source table.
type TableRef struct {
	Database string
	Name     string
}

// String returns "db.table".
func (t TableRef) String() string { return t.Database + "." + t.Name }

// ParseTableRef parses "db.table".
func ParseTableRef(s string) (TableRef, error) {
	db, name, ok := strings.Cut(s, ".")
	if !ok || db == "" || name == "" || strings.Contains(name, ".") {
		return TableRef{}, fmt.Errorf("bad table %q: write it as database.table, e.g. shop.orders", s)
	}
	return TableRef{Database: db, Name: name}, nil
}

// sourceColumn is a column as the source's information_schema describes it.
type sourceColumn struct {
	Name     string
	DataType string // DATA_TYPE, e.g. "decimal"
	FSP      int    // DATETIME_PRECISION for temporal types
	Charset  string // CHARACTER_SET_NAME ("" for non-text columns)
	Scale    int    // NUMERIC_SCALE of DECIMAL columns
}

// tableSchema is what verify needs to know about a source table.
type tableSchema struct {
	Ref     TableRef
	Columns []sourceColumn
	PK      []string // primary key columns in key order; empty: compared as a row set (rowset.go)
}

// loadSourceSchema reads the columns and primary key of ref from the source.
func loadSourceSchema(ctx context.Context, db *sql.DB, ref TableRef) (*tableSchema, error) {
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COALESCE(DATETIME_PRECISION, 0), COALESCE(CHARACTER_SET_NAME, ''),
		IF(DATA_TYPE IN ('decimal', 'numeric'), COALESCE(NUMERIC_SCALE, 0), 0)
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
		ref.Database, ref.Name)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", ref, err)
	}
	ts := &tableSchema{Ref: ref}
	for rows.Next() {
		var c sourceColumn
		if err := rows.Scan(&c.Name, &c.DataType, &c.FSP, &c.Charset, &c.Scale); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read columns of %s: %w", ref, err)
		}
		ts.Columns = append(ts.Columns, c)
	}
	rows.Close()
	if len(ts.Columns) == 0 {
		return nil, fmt.Errorf("table %s not found at the source (check --table and the source DSN's grants)", ref)
	}
	pk, err := primaryKey(ctx, db, ref)
	if err != nil {
		return nil, err
	}
	ts.PK = pk
	return ts, nil
}

func primaryKey(ctx context.Context, db *sql.DB, ref TableRef) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
		ref.Database, ref.Name)
	if err != nil {
		return nil, fmt.Errorf("read primary key of %s: %w", ref, err)
	}
	defer rows.Close()
	var pk []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("read primary key of %s: %w", ref, err)
		}
		pk = append(pk, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read primary key of %s: %w", ref, err)
	}
	return pk, nil
}

// listTables returns the base tables of database db at the source, sorted.
func listTables(ctx context.Context, db *sql.DB, database string) ([]TableRef, error) {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`, database)
	if err != nil {
		return nil, fmt.Errorf("list tables of %s: %w", database, err)
	}
	defer rows.Close()
	var out []TableRef
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list tables of %s: %w", database, err)
		}
		out = append(out, TableRef{Database: database, Name: n})
	}
	return out, rows.Err()
}

// dropColumns removes the non-key columns matching the exclude-columns globs (path.Match over
// "db.table.column", as the tailer matches them).
func (ts *tableSchema) dropColumns(patterns []string) {
	if len(patterns) == 0 {
		return
	}
	keep := ts.Columns[:0:0]
	for _, c := range ts.Columns {
		if !slices.Contains(ts.PK, c.Name) && matchAny(patterns, ts.Ref.String()+"."+c.Name) {
			continue
		}
		keep = append(keep, c)
	}
	ts.Columns = keep
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// compareColumns returns the canonical columns for ts; keepFSP lowers datetime precision to what
// the copy keeps (nil: the copy keeps everything).
func compareColumns(ts *tableSchema, keepFSP func(col string, fsp int) int) []column {
	cols := make([]column, len(ts.Columns))
	for i, c := range ts.Columns {
		cols[i] = column{Name: c.Name, Kind: sourceKind(c.DataType), Scale: c.Scale}
		cols[i].Convert = cols[i].Kind == kindText && c.Charset != "" && c.Charset != "utf8mb4"
		if cols[i].Kind == kindDateTime {
			cols[i].FSP, cols[i].ColFSP = c.FSP, c.FSP
			if keepFSP != nil {
				cols[i].FSP = keepFSP(c.Name, c.FSP)
			}
		}
	}
	return cols
}

// keyColumns returns the canonical columns of the primary key, in key order.
func keyColumns(ts *tableSchema, cols []column) []column {
	out := make([]column, len(ts.PK))
	for i, name := range ts.PK {
		for _, c := range cols {
			if c.Name == name {
				out[i] = c
			}
		}
	}
	return out
}
