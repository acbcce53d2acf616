package canal

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// Head is the source's current binlog end.
type Head struct {
	File string
	Pos  uint64
	GTID string // @@gtid_binlog_pos (MariaDB) or Executed_Gtid_Set (MySQL)
}

// OpenSource opens a plain SQL connection with the tailer's credentials.
func OpenSource(cfg *Config) (*sql.DB, error) {
	dc := gomysql.NewConfig()
	dc.User, dc.Passwd, dc.Net, dc.Addr = cfg.User, cfg.Password, "tcp", cfg.SourceAddr
	dc.Timeout, dc.ReadTimeout = 5*time.Second, 30*time.Second
	c, err := gomysql.NewConnector(dc)
	if err != nil {
		return nil, fmt.Errorf("configure source connection: %w", err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(2)
	return db, nil
}

// SourceHead reads SHOW MASTER STATUS (and the GTID position).
func SourceHead(ctx context.Context, cfg *Config) (Head, error) {
	db, err := OpenSource(cfg)
	if err != nil {
		return Head{}, err
	}
	defer db.Close()
	var h Head
	// GTID first: if a transaction commits in between, the GTID position is at or behind the file
	// position, so a GTID-mode start redelivers rather than skips.
	if cfg.Flavor == "mariadb" {
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&h.GTID); err != nil {
			_, cerr := classify(err, cfg, "SELECT @@gtid_binlog_pos")
			return Head{}, fmt.Errorf("read source GTID position: %w", cerr)
		}
	}
	rows, err := db.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		_, cerr := classify(err, cfg, "SHOW MASTER STATUS")
		return Head{}, fmt.Errorf("read source head: %w", cerr)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return Head{}, fmt.Errorf("read source head: SHOW MASTER STATUS is empty: enable the binary log on the source (log_bin)")
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return Head{}, fmt.Errorf("read source head: %w", err)
	}
	for i, c := range cols {
		switch strings.ToLower(c) {
		case "file":
			h.File = vals[i].String
		case "position":
			fmt.Sscan(vals[i].String, &h.Pos)
		case "executed_gtid_set":
			h.GTID = strings.ReplaceAll(vals[i].String, "\n", "")
		}
	}
	return h, nil
}

// truncatedTailRE matches the source's ERROR 1236 text for a binlog file that ends inside an event.
var truncatedTailRE = regexp.MustCompile(`(?i)truncated in the middle of (an )?event`)

// lastByteRE matches where the source's dump thread stopped reading, in its ERROR 1236 text.
var lastByteRE = regexp.MustCompile(`last byte read from '([^']+)' at (\d+)`)

// failedAt returns the binlog file and position the source's ERROR 1236 text says its read
// stopped at (for a half-written event: where that event starts).
func failedAt(err error) (file string, pos uint64, ok bool) {
	m := lastByteRE.FindStringSubmatch(err.Error())
	if m == nil {
		return "", 0, false
	}
	pos, perr := strconv.ParseUint(m[2], 10, 64)
	return m[1], pos, perr == nil
}

// crashTail checks whether the stream failure err at the boundary from is the half-written tail a
// crash of the source leaves at the end of a binlog file, and returns the next file if so.
// readEnd is where the read failed: the end of the last complete event before the failure.
//
// Invariant: it answers true only when all of these hold, so that what is skipped can only be an
// unfinished transaction, which the source's crash recovery rolled back (the binlog is the 2PC
// coordinator: a transaction whose events are not all in the binlog is not committed):
//   - the source said "binlog truncated in the middle of event" (ERROR 1236);
//   - no transaction boundary was read since from (the caller checks), and no rotate happened;
//   - from.File is not the newest binlog file (the server has started a new one since);
//   - readEnd is the end of a complete event of that file and no complete event follows it:
//     reading the file's events from its start ends exactly at readEnd, with an error.
func crashTail(ctx context.Context, cfg *Config, err error, file string, readEnd uint64) (next string, ok bool, cerr error) {
	if err == nil || mysqlCode(err) != 1236 || !truncatedTailRE.MatchString(err.Error()) {
		return "", false, nil
	}
	db, cerr := OpenSource(cfg)
	if cerr != nil {
		return "", false, cerr
	}
	defer db.Close()
	if next, cerr = nextBinlog(ctx, db, file); cerr != nil || next == "" {
		return "", false, cerr
	}
	end, clean, cerr := validEnd(ctx, db, file)
	if cerr != nil || clean || end != readEnd {
		return "", false, cerr
	}
	return next, true, nil
}

// nextBinlog returns the file after file in SHOW BINARY LOGS ("" if file is the newest or absent).
func nextBinlog(ctx context.Context, db *sql.DB, file string) (string, error) {
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return "", fmt.Errorf("list binlog files: %w", err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	found := false
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return "", fmt.Errorf("list binlog files: %w", err)
		}
		if found {
			return string(vals[0]), nil
		}
		found = string(vals[0]) == file
	}
	return "", rows.Err()
}

// validEnd reads the events of a binlog file from its start (SHOW BINLOG EVENTS ... FROM p LIMIT
// n, page by page from the end of the last complete event) and returns the end of the last
// complete event; clean is true when the whole file read without error (then it has no
// half-written tail). The source answers a page that reaches a half-written event with ERROR
// 1220 and no rows; the failing page is narrowed down by halving its LIMIT. Cost: one pass over
// the file's event headers plus about log2(page) short reads.
func validEnd(ctx context.Context, db *sql.DB, file string) (end uint64, clean bool, err error) {
	end, n := 4, validEndPage
	for n > 0 {
		last, got, err := binlogEventsPage(ctx, db, file, end, n)
		switch {
		case err != nil && mysqlCode(err) == 1220: // a half-written event within the next n
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
	cols, _ := rows.Columns()
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	endCol := -1
	for i, c := range cols {
		ptrs[i] = &vals[i]
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
