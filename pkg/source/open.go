package source

import (
	"database/sql"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// Open opens the source with the session settings its readers need (SessionConfig) and
// utf8mb4.
func Open(dsn string) (*sql.DB, error) {
	cfg, err := SessionConfig(dsn, "source")
	if err != nil {
		return nil, err
	}
	cfg.Collation = "utf8mb4_unicode_ci"
	return OpenConfig(cfg, "source")
}

// SessionConfig parses dsn (of the server what names in errors) with the settings every Ferry
// session on MariaDB/MySQL needs: text protocol values (parseTime off), time_zone '+00:00'
// (TIMESTAMP values in UTC, as the tailer encodes them), client-side interpolated arguments.
func SessionConfig(dsn, what string) (*mysql.Config, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse %s dsn: %w (want user:pass@tcp(host:port)/)", what, err)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.ParseTime = false
	cfg.InterpolateParams = true
	return cfg, nil
}

// OpenConfig opens a pool on cfg; what names the server in errors.
func OpenConfig(cfg *mysql.Config, what string) (*sql.DB, error) {
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", what, err)
	}
	return sql.OpenDB(conn), nil
}
