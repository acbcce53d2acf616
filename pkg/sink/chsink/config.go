// Package chsink applies change rows to a ClickHouse copy: one ReplacingMergeTree(_version)
// table per source table, ordered by the primary key, with a _deleted column, written by
// column-listed native batch inserts and never mutated (docs/design.md section 2). Views in the view
// database read FINAL and hide tombstones. The MySQL-to-ClickHouse type mapping is documented
// in schemas/clickhouse-types.md; it uses DateTime64 on servers that have it (20.1+) and
// degrades to DateTime (whole seconds) on older ones such as Debian's 18.16.
package chsink

import (
	"errors"
	"fmt"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// Config configures the ClickHouse copy sink.
type Config struct {
	// Addr is the native-protocol address (host:9000). HTTP is not supported against 18.16.
	Addr string `yaml:"clickhouse-addr"`
	// User and Password authenticate; Password is never logged.
	User     string `yaml:"clickhouse-user"`
	Password string `yaml:"clickhouse-password"`
	// CopyDatabase names the copy database; "{db}" is replaced by the source database.
	CopyDatabase string `yaml:"copy-database"`
	// ViewDatabase names the database of FINAL, tombstone-hiding views; "{db}" as above.
	ViewDatabase string `yaml:"view-database"`
	// QueryTimeout bounds every statement (the native protocol can hang on bad input).
	QueryTimeout time.Duration `yaml:"query-timeout"`
	// DDLPolicy says what to do per DDL kind.
	DDLPolicy sink.DDLPolicy `yaml:"-"`
}

// DefaultConfig returns defaults for the local stack: 127.0.0.1:9000, user default, copies in
// "<db>_copy", views in "<db>_live", 60 s statement deadline.
func DefaultConfig() Config {
	return Config{
		Addr:         "127.0.0.1:9000",
		User:         "default",
		CopyDatabase: "{db}_copy",
		ViewDatabase: "{db}_live",
		QueryTimeout: time.Minute,
		DDLPolicy:    sink.DefaultDDLPolicy(),
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch {
	case c.Addr == "":
		return errors.New("clickhouse sink: clickhouse-addr is empty; set the native address, e.g. 127.0.0.1:9000")
	case c.CopyDatabase == "" || c.ViewDatabase == "":
		return errors.New("clickhouse sink: copy-database and view-database must be set, e.g. {db}_copy and {db}_live")
	case c.CopyDatabase == c.ViewDatabase:
		return fmt.Errorf("clickhouse sink: copy-database and view-database are both %q; views need their own database", c.CopyDatabase)
	case c.QueryTimeout <= 0:
		return fmt.Errorf("clickhouse sink: query-timeout must be positive, got %s", c.QueryTimeout)
	}
	return nil
}
