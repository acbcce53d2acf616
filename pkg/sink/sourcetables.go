package sink

import (
	"context"
	"database/sql"

	"github.com/ferry-cdc/ferry/pkg/source"
)

// ReadSourceTables reads table definitions (columns with COLUMN_TYPE, primary key) of database
// db from a source server's information_schema (source.ReadTables). Tables without a primary
// key are returned with an empty PK (callers report them).
func ReadSourceTables(ctx context.Context, src *sql.DB, db string) ([]*Table, error) {
	defs, err := source.ReadTables(ctx, src, db)
	if err != nil {
		return nil, err
	}
	out := make([]*Table, len(defs))
	for i, d := range defs {
		t := &Table{Database: db, Name: d.Name, PK: d.PK}
		for _, c := range d.Columns {
			t.Columns = append(t.Columns, Column{Name: c.Name, MySQLType: c.ColumnType})
		}
		out[i] = t
	}
	return out, nil
}
