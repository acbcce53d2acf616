package canal

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/ferry-cdc/ferry/pkg/source"
)

// Head is the source's current binlog end.
type Head = source.Head

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

// SourceHead reads the source's binlog head (and its GTID position).
func SourceHead(ctx context.Context, cfg *Config) (Head, error) {
	db, err := OpenSource(cfg)
	if err != nil {
		return Head{}, err
	}
	defer db.Close()
	h, err := source.ReadHead(ctx, db, cfg.Flavor == "mariadb")
	if err != nil {
		_, cerr := classify(err, cfg, "SHOW MASTER STATUS")
		return Head{}, cerr
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
	if next, cerr = source.NextBinlog(ctx, db, file); cerr != nil || next == "" {
		return "", false, cerr
	}
	end, clean, cerr := source.ValidEnd(ctx, db, file)
	if cerr != nil || clean || end != readEnd {
		return "", false, cerr
	}
	return next, true, nil
}
