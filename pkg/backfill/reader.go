package backfill

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// ErrNoSnapshotPosition is returned (wrapped) when the source does not report the binlog
// position of a consistent snapshot (binary logging off, or MySQL, which lacks
// binlog_snapshot_file; see docs/operations-backfill-verify.md).
var ErrNoSnapshotPosition = errors.New("source reports no binlog position for the snapshot")

// OpenSource opens the source with the session settings backfill and verify need: text
// protocol values (parseTime off), time_zone '+00:00' (TIMESTAMP values in UTC, as the tailer
// encodes them) and utf8mb4.
func OpenSource(dsn string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse source dsn: %w (want user:pass@tcp(host:port)/)", err)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.ParseTime = false
	cfg.InterpolateParams = true
	cfg.Collation = "utf8mb4_unicode_ci"
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("open source: %w", err)
	}
	return sql.OpenDB(conn), nil
}

// Position is a binlog position.
type Position struct {
	File string
	Pos  uint64
}

// String returns "file:pos".
func (p Position) String() string { return p.File + ":" + strconv.FormatUint(p.Pos, 10) }

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
	if _, err := conn.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
		return nil, fmt.Errorf("set isolation level: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT"); err != nil {
		return nil, fmt.Errorf("start consistent snapshot: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") //nolint:errcheck // read-only
	pos, err := snapshotPosition(ctx, conn)
	if err != nil {
		return nil, err
	}
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

// snapshotPosition reads MariaDB's binlog position of the current consistent snapshot.
func snapshotPosition(ctx context.Context, conn *sql.Conn) (Position, error) {
	rows, err := conn.QueryContext(ctx, "SHOW STATUS LIKE 'binlog_snapshot_%'")
	if err != nil {
		return Position{}, fmt.Errorf("read snapshot binlog position: %w", err)
	}
	defer rows.Close()
	var p Position
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return Position{}, fmt.Errorf("read snapshot binlog position: %w", err)
		}
		switch strings.ToLower(name) {
		case "binlog_snapshot_file":
			p.File = value
		case "binlog_snapshot_position":
			if p.Pos, err = strconv.ParseUint(value, 10, 64); err != nil {
				return Position{}, fmt.Errorf("parse binlog_snapshot_position %q: %w", value, err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return Position{}, fmt.Errorf("read snapshot binlog position: %w", err)
	}
	if p.File == "" {
		return Position{}, fmt.Errorf("%w: binlog_snapshot_file is empty (enable log_bin on the source; MySQL 8 needs performance_schema.log_status, see docs/operations-backfill-verify.md)", ErrNoSnapshotPosition)
	}
	return p, nil
}

// chunkQuery selects the next n rows after the key `after` in key order. The tuple comparison
// is spelled out with OR/AND so MariaDB uses a range scan on the primary key.
func chunkQuery(t *Table, after []string, n int) (string, []any, error) {
	q := "SELECT " + t.selectList() + " FROM " + t.qualified()
	pks := make([]string, len(t.PK))
	for i, pk := range t.PK {
		pks[i] = quote(pk)
	}
	var args []any
	if after != nil {
		cond, a, err := t.afterCondition(after)
		if err != nil {
			return "", nil, err
		}
		q += " WHERE " + cond
		args = a
	}
	q += " ORDER BY " + strings.Join(pks, ", ") + " LIMIT " + strconv.Itoa(n)
	return q, args, nil
}

// afterCondition renders (pk...) > (after...) for keyset pagination.
func (t *Table) afterCondition(after []string) (string, []any, error) {
	if len(after) != len(t.PK) {
		return "", nil, fmt.Errorf("resume key %v of %s has %d values, the primary key %d (delete the stale checkpoint)", after, t, len(after), len(t.PK))
	}
	vals := make([]any, len(after))
	for i, idx := range t.pkIdx {
		v, err := keyArg(&t.Columns[idx], after[i])
		if err != nil {
			return "", nil, fmt.Errorf("resume key of %s: %w", t, err)
		}
		vals[i] = v
	}
	var ors []string
	var args []any
	for i := range t.PK {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, quote(t.PK[j])+" = ?")
			args = append(args, vals[j])
		}
		ands = append(ands, quote(t.PK[i])+" > ?")
		args = append(args, vals[i])
		ors = append(ors, strings.Join(ands, " AND "))
	}
	return "(" + strings.Join(ors, " OR ") + ")", args, nil
}

// selectList is the chunk queries' column list (Column.selectExpr of every column, in order).
func (t *Table) selectList() string {
	cols := make([]string, len(t.Columns))
	for i := range t.Columns {
		cols[i] = t.Columns[i].selectExpr()
	}
	return strings.Join(cols, ", ")
}

// scanRows runs q on conn and encodes every row (all columns of t, in order).
func scanRows(ctx context.Context, conn *sql.Conn, t *Table, q string, args []any) ([][]*string, error) {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read rows of %s: %w", t, err)
	}
	defer rows.Close()
	var out [][]*string
	raw := make([]sql.RawBytes, len(t.Columns))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read rows of %s: %w", t, err)
		}
		row := make([]*string, len(raw))
		for i := range raw {
			if row[i], err = encodeValue(&t.Columns[i], raw[i]); err != nil {
				return nil, fmt.Errorf("read rows of %s: %w", t, err)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read rows of %s: %w", t, err)
	}
	return out, nil
}
