package backfill

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ferry-cdc/ferry/pkg/source"
)

// ErrNoSnapshotPosition is returned (wrapped) when the source does not report the binlog
// position of a consistent snapshot (see source.ErrNoSnapshotPosition).
var ErrNoSnapshotPosition = source.ErrNoSnapshotPosition

// OpenSource opens the source with the session settings backfill and verify need
// (source.Open).
func OpenSource(dsn string) (*sql.DB, error) { return source.Open(dsn) }

// Position is a binlog position.
type Position = source.Position

// Chunk is one page of rows read in one consistent snapshot.
type Chunk struct {
	Rows     [][]*string // encoded values in Table.Columns order
	Position Position    // binlog position of the snapshot
	Last     []string    // primary key of the last row (encoded), nil when Rows is empty
}

// ReadChunk reads up to n rows of t with a primary key greater than after (nil: from the start)
// in its own START TRANSACTION WITH CONSISTENT SNAPSHOT, together with the binlog position of
// that snapshot (MariaDB's binlog_snapshot_file/position status). The transaction holds no locks
// (plain consistent reads) and lasts one indexed range read.
func ReadChunk(ctx context.Context, db *sql.DB, t *Table, after []string, n int) (*Chunk, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to source: %w", err)
	}
	defer conn.Close()
	pos, err := source.BeginSnapshot(ctx, conn, true)
	if err != nil {
		return nil, err
	}
	defer source.Rollback(ctx, conn)
	q, args, err := chunkQuery(t, after, n)
	if err != nil {
		return nil, err
	}
	ch := &Chunk{Position: pos}
	if ch.Rows, err = scanRows(ctx, conn, t, q, args); err != nil {
		return nil, fmt.Errorf("after key %v: %w", after, err)
	}
	if len(ch.Rows) > 0 {
		ch.Last = t.KeyOf(ch.Rows[len(ch.Rows)-1])
	}
	return ch, nil
}

// KeyOf returns the primary key values of an encoded row.
func (t *Table) KeyOf(row []*string) []string {
	k := make([]string, len(t.pkIdx))
	for i, idx := range t.pkIdx {
		if row[idx] != nil {
			k[i] = *row[idx]
		}
	}
	return k
}

// chunkQuery selects the next n rows after the key `after` in key order (source.ChunkQuery).
func chunkQuery(t *Table, after []string, n int) (string, []any, error) {
	var args []any
	if after != nil {
		vals, err := t.keyArgs(after, "resume key", " (delete the stale checkpoint)")
		if err != nil {
			return "", nil, err
		}
		args = source.AfterArgs(vals)
	}
	return source.ChunkQuery(t.Database, t.Name, t.selectList(), t.PK, after != nil, n), args, nil
}

// keyArgs turns an encoded primary key into query arguments of the key columns' types; what
// names the key in errors, hint follows a wrong key length.
func (t *Table) keyArgs(k []string, what, hint string) ([]any, error) {
	if len(k) != len(t.PK) {
		return nil, fmt.Errorf("%s %v of %s has %d values, the primary key %d%s", what, k, t, len(k), len(t.PK), hint)
	}
	vals := make([]any, len(k))
	for i, idx := range t.pkIdx {
		v, err := keyArg(&t.Columns[idx], k[i])
		if err != nil {
			return nil, fmt.Errorf("%s of %s: %w", what, t, err)
		}
		vals[i] = v
	}
	return vals, nil
}

// selectList is the chunk queries' column list (Column.selectExpr of every column, in order).
func (t *Table) selectList() []string {
	cols := make([]string, len(t.Columns))
	for i := range t.Columns {
		cols[i] = t.Columns[i].selectExpr()
	}
	return cols
}

// scanRows runs q on conn and encodes every row (all columns of t, in order), taking the
// server's text of each value from the driver (source.EachTextRow).
func scanRows(ctx context.Context, conn *sql.Conn, t *Table, q string, args []any) ([][]*string, error) {
	var out [][]*string
	enc := newRowEncoder(t.Columns)
	err := source.EachTextRow(ctx, conn, q, args, func(vals [][]byte) error {
		row, err := enc.encode(vals)
		if err != nil {
			return err
		}
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read rows of %s: %w", t, err)
	}
	return out, nil
}
