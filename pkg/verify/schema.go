package verify

import (
	"context"
	"database/sql"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/source"
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

// tableSchema is what verify needs to know about a source table.
type tableSchema struct {
	Ref     TableRef
	Columns []source.ColumnInfo
	PK      []string // primary key columns in key order; empty: compared as a row set (rowset.go)
}

// loadSourceSchema reads the columns and primary key of ref from the source.
func loadSourceSchema(ctx context.Context, db *sql.DB, ref TableRef) (*tableSchema, error) {
	cols, err := source.Columns(ctx, db, ref.Database, ref.Name)
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %s not found at the source (check --table and the source DSN's grants)", ref)
	}
	pk, err := source.PrimaryKey(ctx, db, ref.Database, ref.Name)
	if err != nil {
		return nil, err
	}
	return &tableSchema{Ref: ref, Columns: cols, PK: pk}, nil
}

// listTables returns the base tables of database db at the source, sorted.
func listTables(ctx context.Context, db *sql.DB, database string) ([]TableRef, error) {
	names, err := source.ListTables(ctx, db, database)
	if err != nil {
		return nil, err
	}
	out := make([]TableRef, len(names))
	for i, n := range names {
		out[i] = TableRef{Database: database, Name: n}
	}
	return out, nil
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
		cols[i] = column{Name: c.Name, Kind: source.KindOf(c.DataType), Scale: c.Scale}
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
