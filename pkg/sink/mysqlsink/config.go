// Package mysqlsink applies change rows to a MySQL/MariaDB copy of the source database with
// version-guarded multi-row INSERT ... ON DUPLICATE KEY UPDATE statements (docs/design.md section 2).
//
// Copy layout: for a source table db.t the copy table is <copy-database>.t with the source
// columns (primary key columns NOT NULL, every other column nullable, same types; JSON becomes
// LONGTEXT; string key columns use utf8mb4_nopad_bin so keys that differ only in case or in
// trailing spaces stay distinct),
// PRIMARY KEY only (no UNIQUE, foreign keys or CHECKs) and two more columns:
// _version BIGINT UNSIGNED (version of the change that wrote the row) and _deleted TINYINT
// (1 = tombstone). <view-database>.t is a view selecting the source columns WHERE _deleted = 0,
// so report SQL written for the source runs unchanged against the view database.
package mysqlsink

import (
	"errors"
	"fmt"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// Config configures the MySQL copy sink.
type Config struct {
	// DSN is the copy server's go-sql-driver DSN, e.g. "ferry:ferry@tcp(127.0.0.1:3308)/".
	// The database part is ignored; session settings (time_zone, sql_mode) are added.
	DSN string `yaml:"mysql-dsn"`
	// CopyDatabase names the copy database; "{db}" is replaced by the source database.
	CopyDatabase string `yaml:"copy-database"`
	// ViewDatabase names the database of tombstone-hiding views; "{db}" as above.
	ViewDatabase string `yaml:"view-database"`
	// StatementRows caps rows per INSERT statement (a batch may need several statements).
	StatementRows int `yaml:"statement-rows"`
	// StatementBytes caps the approximate value bytes per INSERT statement (max_allowed_packet
	// is 16 MiB by default on MariaDB).
	StatementBytes int `yaml:"statement-bytes"`
	// DDLPolicy says what to do per DDL kind.
	DDLPolicy sink.DDLPolicy `yaml:"-"`
}

// DefaultConfig returns the defaults: copies in "<db>_copy", views in "<db>_live", at most 500
// rows or 4 MiB per statement, sink.DefaultDDLPolicy.
func DefaultConfig() Config {
	return Config{
		DSN:            "ferry:ferry@tcp(127.0.0.1:3308)/",
		CopyDatabase:   "{db}_copy",
		ViewDatabase:   "{db}_live",
		StatementRows:  500,
		StatementBytes: 4 << 20,
		DDLPolicy:      sink.DefaultDDLPolicy(),
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch {
	case c.DSN == "":
		return errors.New("mysql sink: mysql-dsn is empty; set it to the copy server, e.g. ferry:ferry@tcp(127.0.0.1:3308)/")
	case c.CopyDatabase == "" || c.ViewDatabase == "":
		return errors.New("mysql sink: copy-database and view-database must be set, e.g. {db}_copy and {db}_live")
	case c.CopyDatabase == c.ViewDatabase:
		return fmt.Errorf("mysql sink: copy-database and view-database are both %q; views need their own database", c.CopyDatabase)
	case c.StatementRows < 1 || c.StatementBytes < 1024:
		return fmt.Errorf("mysql sink: statement-rows (%d) must be >= 1 and statement-bytes (%d) >= 1024", c.StatementRows, c.StatementBytes)
	}
	return nil
}
