package mysqlsink

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/source"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// Reader reads a MySQL/MariaDB copy written by this sink for verify: table
// <CopyDatabase>.<table> with the source columns plus _version and _deleted (1 = tombstone).
// The rows are read with the source's canonical expressions (source.Reader), tombstones hidden.
type Reader struct {
	// DB must run sessions with time_zone '+00:00' (OpenDB does).
	DB *sql.DB
	// Database maps the source database to the copy database; "{db}" is replaced by the source
	// database name (default of the replayer: "{db}_copy").
	Database string
}

var _ verify.Copy = (*Reader)(nil)

// Name returns "mysql".
func (r *Reader) Name() string { return Name }

// Columns returns the copy database of sourceDB and the columns of its copy of table (the
// values are the names: verify needs no MySQL column type).
func (r *Reader) Columns(ctx context.Context, sourceDB, table string) (string, map[string]string, error) {
	db := sink.MapDatabase(r.Database, sourceDB)
	cols, err := source.Columns(ctx, r.DB, db, table)
	if err != nil {
		return db, nil, fmt.Errorf("read columns of copy table %s.%s: %w", db, table, err)
	}
	have := make(map[string]string, len(cols))
	for _, c := range cols {
		have[c.Name] = c.Name
	}
	return db, have, nil
}

// KeepsFSP returns fsp: a MySQL copy column has the source column's type.
func (r *Reader) KeepsFSP(_ string, fsp int) int { return fsp }

// Side returns the reader of the live rows of copyDB.table.
func (r *Reader) Side(copyDB, table string, cols, keyCols []source.Column, _ map[string]string) verify.Side {
	return source.NewReader(r.DB, copyDB, table, cols, keyCols, liveRows)
}

// liveRows is the condition that hides tombstones.
var liveRows = deletedCol + " = 0"
