package canal

import (
	"context"
	"database/sql"
	"fmt"
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
