package source

import (
	"database/sql"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// Open opens the source with the session settings its readers need: text protocol values
// (parseTime off), time_zone '+00:00' (TIMESTAMP values in UTC, as the tailer encodes them) and
// utf8mb4.
func Open(dsn string) (*sql.DB, error) {
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
