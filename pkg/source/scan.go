package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNoSnapshotPosition is returned (wrapped) when the source does not report the binlog
// position of a consistent snapshot (binary logging off, or MySQL, which lacks
// binlog_snapshot_file; see docs/operations-backfill-verify.md).
var ErrNoSnapshotPosition = errors.New("source reports no binlog position for the snapshot")

// Position is a binlog position.
type Position struct {
	File string
	Pos  uint64
}

// String returns "file:pos".
func (p Position) String() string { return p.File + ":" + strconv.FormatUint(p.Pos, 10) }

// BeginSnapshot starts a read-only START TRANSACTION WITH CONSISTENT SNAPSHOT on conn
// (repeatable read when isolate is set) and returns the binlog position of that snapshot
// (MariaDB's binlog_snapshot_file/position status). The caller ends it with Rollback.
func BeginSnapshot(ctx context.Context, conn *sql.Conn, isolate bool) (Position, error) {
	if isolate {
		if _, err := conn.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
			return Position{}, fmt.Errorf("set isolation level: %w", err)
		}
	}
	if _, err := conn.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT"); err != nil {
		return Position{}, fmt.Errorf("start consistent snapshot: %w", err)
	}
	pos, err := snapshotPosition(ctx, conn)
	if err != nil {
		Rollback(ctx, conn)
	}
	return pos, err
}

// Rollback ends the read-only transaction on conn, also when ctx is already cancelled.
func Rollback(ctx context.Context, conn *sql.Conn) {
	_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") // read-only: nothing to lose
}

// FlushBinaryLogs rotates the source's binlog (FLUSH BINARY LOGS; needs RELOAD or BINLOG ADMIN).
func FlushBinaryLogs(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, "FLUSH BINARY LOGS")
	return err
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

// ScanColumn is what a snapshot read selects for one column: FLOAT widened to DOUBLE (the text
// protocol renders a FLOAT with 6 significant digits; the double text is exact), the stored
// bytes of MariaDB's UUID/INET columns as their binary type (stored, e.g. "binary(16)"), else
// the column itself.
func ScanColumn(name string, isFloat32 bool, stored string) string {
	switch {
	case isFloat32:
		return "CAST(" + Quote(name) + " AS DOUBLE)"
	case stored != "":
		return "CAST(" + Quote(name) + " AS " + strings.ToUpper(stored) + ")"
	}
	return Quote(name)
}

// ChunkQuery selects the next n rows of database.table (columns: the ScanColumn expressions)
// in primary key order; with after, only keys after a key given as len(pk) placeholder
// arguments. The tuple comparison is spelled out with OR/AND so MariaDB uses a range scan on
// the primary key; the arguments are those of AfterArgs.
func ChunkQuery(database, table string, columns, pk []string, after bool, n int) string {
	q := "SELECT " + strings.Join(columns, ", ") + " FROM " + QuoteTable(database, table)
	if after {
		q += " WHERE " + afterCondition(pk)
	}
	return q + " ORDER BY " + quoteAll(pk) + " LIMIT " + strconv.Itoa(n)
}

// AfterArgs orders the key values of a ChunkQuery's "after" condition as its placeholders
// expect them.
func AfterArgs(vals []any) []any {
	var args []any
	for i := range vals {
		args = append(args, vals[:i+1]...)
	}
	return args
}

// afterCondition renders (pk...) > (?...) with the placeholders of AfterArgs.
func afterCondition(pk []string) string {
	ors := make([]string, len(pk))
	for i := range pk {
		ands := make([]string, 0, i+1)
		for j := 0; j < i; j++ {
			ands = append(ands, Quote(pk[j])+" = ?")
		}
		ands = append(ands, Quote(pk[i])+" > ?")
		ors[i] = strings.Join(ands, " AND ")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// KeysQuery selects the rows of database.table (columns: the ScanColumn expressions) whose
// primary key is one of keys keys, each given as len(pk) placeholder arguments in key order.
func KeysQuery(database, table string, columns, pk []string, keys int) string {
	ands := make([]string, len(pk))
	for i, c := range pk {
		ands[i] = Quote(c) + " = ?"
	}
	one := "(" + strings.Join(ands, " AND ") + ")"
	ors := make([]string, keys)
	for i := range ors {
		ors[i] = one
	}
	return "SELECT " + strings.Join(columns, ", ") + " FROM " + QuoteTable(database, table) + " WHERE " + strings.Join(ors, " OR ")
}

// quoteAll quotes names and joins them with ", ".
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = Quote(n)
	}
	return strings.Join(q, ", ")
}
