package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"
)

// Binlog reads of the source (MariaDB/MySQL) for the binlog tailer: its head, its binlog files,
// the events of one file, its server id. Errors wrap the driver's (*mysql.MySQLError, so callers
// can classify them by code) with what was being read.

// Head is the source's current binlog end.
type Head struct {
	File string
	Pos  uint64
	GTID string // @@gtid_binlog_pos (MariaDB) or Executed_Gtid_Set (MySQL)
}

// ReadHead reads SHOW MASTER STATUS and, for MariaDB, @@gtid_binlog_pos (MySQL reports its GTID
// set in SHOW MASTER STATUS).
func ReadHead(ctx context.Context, db *sql.DB, mariadb bool) (Head, error) {
	var h Head
	// GTID first: if a transaction commits in between, the GTID position is at or behind the file
	// position, so a GTID-mode start redelivers rather than skips.
	if mariadb {
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&h.GTID); err != nil {
			return Head{}, fmt.Errorf("read source GTID position: %w", err)
		}
	}
	rows, err := db.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return Head{}, fmt.Errorf("read source head: %w", err)
	}
	defer rows.Close()
	cols, vals, ptrs := rowTargets(rows)
	if !rows.Next() {
		return Head{}, fmt.Errorf("read source head: SHOW MASTER STATUS is empty: enable the binary log on the source (log_bin)")
	}
	if err := rows.Scan(ptrs...); err != nil {
		return Head{}, fmt.Errorf("read source head: %w", err)
	}
	for i, c := range cols {
		switch strings.ToLower(c) {
		case "file":
			h.File = string(vals[i])
		case "position":
			fmt.Sscan(string(vals[i]), &h.Pos)
		case "executed_gtid_set":
			h.GTID = strings.ReplaceAll(string(vals[i]), "\n", "")
		}
	}
	return h, nil
}

// BinlogFiles lists the source's binlog files (SHOW BINARY LOGS), oldest first.
func BinlogFiles(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return nil, fmt.Errorf("list binlog files: %w", err)
	}
	defer rows.Close()
	_, vals, ptrs := rowTargets(rows)
	var files []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("list binlog files: %w", err)
		}
		files = append(files, string(vals[0]))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list binlog files: %w", err)
	}
	return files, nil
}

// NextBinlog returns the file after file in SHOW BINARY LOGS ("" if file is the newest or absent).
func NextBinlog(ctx context.Context, db *sql.DB, file string) (string, error) {
	files, err := BinlogFiles(ctx, db)
	if err != nil {
		return "", err
	}
	for i, f := range files {
		if f == file && i+1 < len(files) {
			return files[i+1], nil
		}
	}
	return "", nil
}

// ValidEnd reads the events of a binlog file from its start (SHOW BINLOG EVENTS ... FROM p LIMIT
// n, page by page from the end of the last complete event) and returns the end of the last
// complete event; clean is true when the whole file read without error (then it has no
// half-written tail). The source answers a page that reaches a half-written event with ERROR
// 1220 and no rows; the failing page is narrowed down by halving its LIMIT. Cost: one pass over
// the file's event headers plus about log2(page) short reads. file must exist (check with
// BinlogFiles): a missing file also answers 1220, which reads as a half-written event at 4.
func ValidEnd(ctx context.Context, db *sql.DB, file string) (end uint64, clean bool, err error) {
	end, n := 4, validEndPage
	for n > 0 {
		last, got, err := binlogEventsPage(ctx, db, file, end, n)
		switch {
		case err != nil && errorCode(err) == 1220: // a half-written event within the next n
			n /= 2
		case err != nil:
			return 0, false, err
		case got < n:
			return max(end, last), true, nil // the file ended cleanly
		default:
			end = last
		}
	}
	return end, false, nil
}

const validEndPage = 1024

// binlogEventsPage reads up to n events of file from pos and returns the end of the last one
// read and how many were read.
func binlogEventsPage(ctx context.Context, db *sql.DB, file string, pos uint64, n int) (end uint64, got int, err error) {
	q := fmt.Sprintf("SHOW BINLOG EVENTS IN '%s' FROM %d LIMIT %d", strings.ReplaceAll(file, "'", "''"), pos, n)
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return 0, 0, fmt.Errorf("read events of binlog %s: %w", file, err)
	}
	defer rows.Close()
	cols, vals, ptrs := rowTargets(rows)
	endCol := -1
	for i, c := range cols {
		if strings.EqualFold(c, "End_log_pos") {
			endCol = i
		}
	}
	if endCol < 0 {
		return 0, 0, fmt.Errorf("read events of binlog %s: no End_log_pos column", file)
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, 0, fmt.Errorf("read events of binlog %s: %w", file, err)
		}
		got++
		if end, err = strconv.ParseUint(string(vals[endCol]), 10, 64); err != nil {
			return 0, 0, fmt.Errorf("read events of binlog %s: End_log_pos %q: %w", file, vals[endCol], err)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("read events of binlog %s: %w", file, err)
	}
	return end, got, nil
}

// ServerID reads the source's server id (reported in the messages' ferry.serverId).
func ServerID(ctx context.Context, db *sql.DB) (uint32, error) {
	var id uint32
	if err := db.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id); err != nil {
		return 0, fmt.Errorf("read source server id: %w", err)
	}
	return id, nil
}

// rowTargets returns the column names of rows, one RawBytes per column (NULL reads as empty; valid
// until the next Next) and the pointers Scan takes.
func rowTargets(rows *sql.Rows) (cols []string, vals []sql.RawBytes, ptrs []any) {
	cols, _ = rows.Columns()
	vals = make([]sql.RawBytes, len(cols))
	ptrs = make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return cols, vals, ptrs
}

// errorCode returns the MySQL error code of err (0 if it is not a server error).
func errorCode(err error) uint16 {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}
