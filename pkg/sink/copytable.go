package sink

import (
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

// MissingAlterTableReason explains a halted ALTER TABLE of a copy table that does not exist.
func MissingAlterTableReason(copyDB, table string) string {
	return fmt.Sprintf("copy table %s.%s does not exist, so the ALTER cannot be applied to it (recording it as applied "+
		"would lose the change for a copy table created later); create the missing copy tables in their current source "+
		"shape with `replayer schema`, or backfill the table", copyDB, table)
}
