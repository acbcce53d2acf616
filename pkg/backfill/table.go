package backfill

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/source"
)

// ErrNoPrimaryKey is returned (wrapped) for a table without a primary key: keyset pagination
// needs one.
var ErrNoPrimaryKey = errors.New("table has no primary key")

// Column is a source column with its parsed type.
type Column struct {
	Name      string
	MySQLType string // COLUMN_TYPE, e.g. "decimal(12,2)", "bigint(20) unsigned" (binary(16) for UUID/INET6)
	Type      event.ColumnType
	stored    string // for UUID/INET columns: the binary type of their stored bytes
}

// Table is a source table's shape at the time the backfill started.
type Table struct {
	Database string
	Name     string
	Columns  []Column
	PK       []string // primary key columns in key order
	pkIdx    []int    // positions of PK columns in Columns
}

// String returns "db.table".
func (t *Table) String() string { return t.Database + "." + t.Name }

// ParseTableName splits "db.table".
func ParseTableName(s string) (db, table string, err error) {
	db, table, ok := strings.Cut(s, ".")
	if !ok || db == "" || table == "" || strings.Contains(table, ".") {
		return "", "", fmt.Errorf("bad table %q: write it as database.table, e.g. shop.orders", s)
	}
	return db, table, nil
}

// LoadTable reads the columns and primary key of db.name from the source's information_schema.
func LoadTable(ctx context.Context, src *sql.DB, db, name string) (*Table, error) {
	cols, err := source.Columns(ctx, src, db, name)
	if err != nil {
		return nil, err
	}
	t := &Table{Database: db, Name: name}
	for _, info := range cols {
		c := Column{Name: info.Name, MySQLType: info.ColumnType}
		if bin, ok := binaryTypes[strings.ToLower(c.MySQLType)]; ok {
			c.MySQLType, c.stored = bin, bin
		}
		if c.Type, err = event.ParseMySQLType(c.MySQLType); err != nil {
			return nil, fmt.Errorf("column %s of %s: %w", c.Name, t, err)
		}
		t.Columns = append(t.Columns, c)
	}
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("table %s not found at the source (check the name and the user's SELECT grant)", t)
	}
	if t.PK, err = primaryKey(ctx, src, db, name); err != nil {
		return nil, err
	}
	t.indexPK()
	return t, nil
}

// indexPK sets the positions of the primary key columns in Columns.
func (t *Table) indexPK() {
	t.pkIdx = t.pkIdx[:0]
	for _, pk := range t.PK {
		for i, c := range t.Columns {
			if c.Name == pk {
				t.pkIdx = append(t.pkIdx, i)
			}
		}
	}
}

// isPK reports whether column name is part of the primary key.
func (t *Table) isPK(name string) bool {
	for _, pk := range t.PK {
		if pk == name {
			return true
		}
	}
	return false
}

// binaryTypes are MariaDB types whose values the binlog carries as their stored bytes and the
// tailer publishes as binary(n) (the table map does not name the type): UUID, INET6, INET4.
var binaryTypes = map[string]string{"uuid": "binary(16)", "inet6": "binary(16)", "inet4": "binary(4)"}

// selectExpr is what a chunk query reads for the column (source.ScanColumn): FLOAT widened to
// DOUBLE, the stored bytes of UUID/INET columns, else the column itself.
func (c *Column) selectExpr() string {
	return source.ScanColumn(c.Name, c.Type.Base == "float", c.stored)
}

func primaryKey(ctx context.Context, src *sql.DB, db, name string) ([]string, error) {
	pk, err := source.PrimaryKey(ctx, src, db, name)
	if err != nil {
		return nil, err
	}
	if len(pk) == 0 {
		return nil, fmt.Errorf("%w: %s.%s (backfill pages by primary key; add one at the source or exclude the table; a table without one "+
			"is copied from the binlog only, under the tailer's no-pk-policy: all-columns)", ErrNoPrimaryKey, db, name)
	}
	return pk, nil
}

// ListTables returns the base tables of database db, sorted by name.
func ListTables(ctx context.Context, src *sql.DB, db string) ([]string, error) {
	return source.ListTables(ctx, src, db)
}
