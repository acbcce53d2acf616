// Package sink defines how the replayer writes change rows into a copy of the source database.
//
// A Sink applies batches of row changes last-writer-wins by version (docs/design.md section 2): a
// change is applied only if its version is greater than the version stored for its primary key,
// and a DELETE writes a tombstone (_deleted = 1) carrying its version instead of removing the row.
// Because of this, applying the same batch twice, applying batches out of order, or replaying an
// older range never changes the result. Implementations live in the sub-packages mysqlsink and
// chsink.
package sink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// Op is the kind of a row change.
type Op uint8

// Row operations. A primary-key-changing UPDATE arrives already split into OpDelete of the old key
// and OpInsert of the new key with the next version.
const (
	OpInsert Op = iota + 1
	OpUpdate
	OpDelete
)

// String returns the lower-case name used in metric labels.
func (o Op) String() string {
	switch o {
	case OpInsert:
		return "insert"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Column is one source column as carried by a change event.
type Column struct {
	Name      string // column name in the source table
	MySQLType string // column type as in SHOW CREATE TABLE, e.g. "decimal(12,2)"
	// Type is MySQLType parsed, set once per table shape where the shape is built (the
	// replayer's decode, see replayer.tableCache); the zero value means not parsed yet.
	Type event.ColumnType
}

// Parsed returns the column's parsed type: Type when it was set, else MySQLType parsed now.
func (c Column) Parsed() (event.ColumnType, error) {
	if c.Type.Base != "" {
		return c.Type, nil
	}
	return event.ParseMySQLType(c.MySQLType)
}

// Table describes the source table of a group of rows at event time. Rows decoded from one
// message share one *Table, so sinks can group rows by pointer or by Key().
type Table struct {
	Database string
	Name     string
	Columns  []Column // in source column order
	PK       []string // primary key column names, in key order (subset of Columns); empty: RowKeyed
}

// Key returns a string identifying the table and its column list; rows with equal keys can be
// written by one statement.
func (t *Table) Key() string {
	var b strings.Builder
	b.WriteString(t.Database)
	b.WriteByte('.')
	b.WriteString(t.Name)
	for _, c := range t.Columns {
		b.WriteByte('\x00')
		b.WriteString(c.Name)
		b.WriteByte(' ')
		b.WriteString(c.MySQLType)
	}
	return b.String()
}

// ColumnIndex returns the position of the named column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Validate checks that the table has a name, columns and a primary key made of its columns, if
// it has one (a table without one is RowKeyed).
func (t *Table) Validate() error {
	if t.Database == "" || t.Name == "" {
		return fmt.Errorf("%w: table without database or name", ErrBadRow)
	}
	if len(t.Columns) == 0 {
		return fmt.Errorf("%w: table %s.%s has no columns", ErrBadRow, t.Database, t.Name)
	}
	for _, pk := range t.PK {
		if t.ColumnIndex(pk) < 0 {
			return fmt.Errorf("%w: primary key column %q of %s.%s is not among its columns", ErrBadRow, pk, t.Database, t.Name)
		}
	}
	return nil
}

// Row is one row change: the row image (after image, or the before image for OpDelete) with
// one value per Table.Columns entry; nil means SQL NULL. Values use the change-event encoding
// (schemas/change-event.md): decimal text, "2006-01-02 15:04:05.000" datetimes, bytes as
// ISO-8859-1 runes, BIT as decimal text.
type Row struct {
	Table   *Table
	Op      Op
	Version uint64
	Values  []*string
}

// Batch is a set of row changes of any tables, applied in one sink transaction (MySQL) or one
// insert per table (ClickHouse). Rows of the same key may repeat in any order.
type Batch struct {
	Rows []Row
}

// DDL is one schema change statement published by the tailer.
type DDL struct {
	Database string // default database of the statement at the source
	Table    string // table the statement is about ("" if unknown)
	Kind     string // change-event DDL type: CREATE ALTER ERASE TRUNCATE RENAME CINDEX DINDEX QUERY
	SQL      string // statement text as executed at the source
	Version  uint64 // version of the statement's binlog event; a DDL is applied once per version
	Position string // binlog file:pos, for error messages
	// Time is when the statement ran at the source (the event time, whole seconds); existing
	// rows of a column added with DEFAULT CURRENT_TIMESTAMP get it. Zero when unknown.
	Time time.Time
}

// Sink writes change rows and schema changes into one copy.
type Sink interface {
	// Apply writes all rows of b durably (committed) or returns an error, in which case none or
	// some of the rows may be written; re-applying is always safe.
	Apply(ctx context.Context, b *Batch) error
	// ApplyDDL applies (or, per the sink's policy, ignores) one schema change exactly once per
	// version; a repeated call with an already applied version is a no-op.
	ApplyDDL(ctx context.Context, d *DDL) error
	// Close releases connections.
	Close() error
}

// Stager is implemented by sinks that convert rows into their write format as the rows arrive
// (the ClickHouse sink's column blocks), so a batch waiting for its flush holds that compact
// form instead of the rows and the message text they point into. The replayer stages rows
// into a sink that has it and hands the others whole batches.
type Stager interface {
	// Stage returns an empty staged batch.
	Stage() Staged
}

// Staged is one batch being converted; its methods are not safe for concurrent use.
type Staged interface {
	// Add converts rows into the batch. After an error the batch is failed: later Adds do
	// nothing and Apply returns that error.
	Add(ctx context.Context, rows []Row) error
	// Apply writes the batch with Sink.Apply's guarantees; it is called once.
	Apply(ctx context.Context) error
	// Release hands the batch's buffers back; the batch is not used after it.
	Release()
}

// Errors shared by sinks.
var (
	// ErrBadRow marks a row that can never be applied (bad value, unknown type); retrying does
	// not help, the message is poison.
	ErrBadRow = errors.New("unappliable row")
	// ErrDDLHalt marks a schema change that the policy or the translator refuses to apply; the
	// operator must apply it by hand or skip it.
	ErrDDLHalt = errors.New("ddl needs operator action")
)
