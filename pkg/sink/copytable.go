package sink

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoCopyTable is returned (wrapped) by ReadCopyColumns for a copy table that does not exist.
var ErrNoCopyTable = errors.New("copy table does not exist")

// ColumnRows is the part of a query result that ReadCopyColumns reads: *sql.Rows and the
// ClickHouse driver's rows both have it.
type ColumnRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ReadCopyColumns reads the columns of copy table db.name from rows of (column name, column
// type), as a sink's catalog query returns them, and returns the source columns in row order
// with their types, the meta columns left out, except that types also holds MetaColumnRowKey
// when the copy is keyed by it (RowKeyed). It fails with ErrNoCopyTable when there are no rows
// and with ErrBadRow when the table lacks the meta columns.
func ReadCopyColumns(rows ColumnRows, db, name string) ([]string, map[string]string, error) {
	var cols []string
	types := map[string]string{}
	meta := 0
	for rows.Next() {
		var c, typ string
		if err := rows.Scan(&c, &typ); err != nil {
			return nil, nil, fmt.Errorf("read columns of %s.%s: %w", db, name, err)
		}
		if c == MetaColumnRowKey {
			types[c] = typ
			continue
		}
		if IsMetaColumn(c) {
			meta++
			continue
		}
		cols = append(cols, c)
		types[c] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read columns of %s.%s: %w", db, name, err)
	}
	if len(cols) == 0 && meta == 0 {
		return nil, nil, fmt.Errorf("%s.%s: %w", db, name, ErrNoCopyTable)
	}
	if meta != 2 {
		return nil, nil, fmt.Errorf("%w: %s.%s is not a Ferry copy table (no _version/_deleted columns); drop it or point copy-database elsewhere", ErrBadRow, db, name)
	}
	return cols, types, nil
}

// CopyTable is the shape of one copy table as a sink reads it from its catalog.
type CopyTable struct {
	DB, Name string
	Columns  []string          // source columns present in the copy, in copy order
	Types    map[string]string // the copy's column type per source column
	RowKey   bool              // keyed by MetaColumnRowKey (source table without primary key)
}

// ReadCopyTable reads copy table db.name from rows of (column name, column type) as
// ReadCopyColumns does, MetaColumnRowKey taken out of the types into RowKey.
func ReadCopyTable(rows ColumnRows, db, name string) (*CopyTable, error) {
	cols, types, err := ReadCopyColumns(rows, db, name)
	if err != nil {
		return nil, err
	}
	_, rowKey := types[MetaColumnRowKey]
	delete(types, MetaColumnRowKey)
	return &CopyTable{DB: db, Name: name, Columns: cols, Types: types, RowKey: rowKey}, nil
}

// Has reports whether the copy table has source column c.
func (ct *CopyTable) Has(c string) bool {
	_, ok := ct.Types[c]
	return ok
}

// CheckWritable checks that rows of source shape t can be written into ct: the copy is keyed
// the way t needs (CheckRowKeyedCopy) and has every primary key column of t.
func (ct *CopyTable) CheckWritable(t *Table) error {
	if err := CheckRowKeyedCopy(t, ct.DB, ct.Name, ct.Columns, ct.RowKey); err != nil {
		return err
	}
	for _, pk := range t.PK {
		if !ct.Has(pk) {
			return fmt.Errorf("%w: copy table %s.%s lacks primary key column %s; migrate it with `replayer schema`", ErrBadRow, ct.DB, ct.Name, pk)
		}
	}
	return nil
}

// CopyKey returns the key columns of t's copy table, quoted with quote: the primary key, or
// MetaColumnRowKey for a table without one (RowKeyed).
func CopyKey(t *Table, quote func(string) string) []string {
	if t.RowKeyed() {
		return []string{quote(MetaColumnRowKey)}
	}
	return QuoteAll(t.PK, quote)
}

// QuoteAll returns names, each quoted with quote.
func QuoteAll(names []string, quote func(string) string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = quote(n)
	}
	return out
}

// CopyMigrator is what MigrateCopyTables needs of one copy engine.
type CopyMigrator interface {
	// LoadCopyTable reads the copy table of t, failing with ErrNoCopyTable when it is missing.
	LoadCopyTable(ctx context.Context, t *Table) (*CopyTable, error)
	// CreateCopyTable creates the copy table of t and its view; it returns the CREATE TABLE.
	CreateCopyTable(ctx context.Context, t *Table) (string, error)
	// AddCopyColumn adds source column c to copy table ct; it returns the statement it ran.
	AddCopyColumn(ctx context.Context, ct *CopyTable, c Column) (string, error)
	// RefreshCopyView recreates the view of t's copy table and drops its cached shape.
	RefreshCopyView(ctx context.Context, t *Table) error
}

// MigrateCopyTables creates missing copy tables, adds the columns a copy lacks (never drops
// any) and recreates the views: the `replayer schema` migration of any engine. It returns the
// statements it ran.
func MigrateCopyTables(ctx context.Context, m CopyMigrator, tables []*Table) ([]string, error) {
	var ran []string
	for _, t := range tables {
		ct, err := m.LoadCopyTable(ctx, t)
		if errors.Is(err, ErrNoCopyTable) {
			ddl, err := m.CreateCopyTable(ctx, t)
			if err != nil {
				return ran, err
			}
			ran = append(ran, ddl)
			continue
		}
		if err != nil {
			return ran, err
		}
		if err := CheckRowKeyedCopy(t, ct.DB, ct.Name, ct.Columns, ct.RowKey); err != nil {
			return ran, fmt.Errorf("migrate %s.%s: %w", ct.DB, ct.Name, err) // adding columns would change every row key
		}
		for _, c := range t.Columns {
			if ct.Has(c.Name) {
				continue
			}
			q, err := m.AddCopyColumn(ctx, ct, c)
			if err != nil {
				return ran, err
			}
			ran = append(ran, q)
		}
		if err := m.RefreshCopyView(ctx, t); err != nil {
			return ran, err
		}
	}
	return ran, nil
}

// MissingAlterTableReason explains a halted ALTER TABLE of a copy table that does not exist.
func MissingAlterTableReason(copyDB, table string) string {
	return fmt.Sprintf("copy table %s.%s does not exist, so the ALTER cannot be applied to it (recording it as applied "+
		"would lose the change for a copy table created later); create the missing copy tables in their current source "+
		"shape with `replayer schema`, or backfill the table", copyDB, table)
}
