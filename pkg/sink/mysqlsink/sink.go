package mysqlsink

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/source"
)

// Sink is the MySQL copy sink. It is safe for concurrent use, but Apply calls serialize on the
// column cache only; concurrent Apply calls run in separate transactions.
type Sink struct {
	cfg Config
	db  *sql.DB
	log *slog.Logger

	tables sink.TableCache[*copyTable]       // key: copyDB + "." + table
	plans  sink.PlanCache[*copyTable, *plan] // write plans by source shape and copy state
}

var _ sink.Sink = (*Sink)(nil)

// Open connects to the copy server with session time_zone '+00:00' (TIMESTAMP values in events
// are UTC) and a strict sql_mode that still accepts zero dates the source accepted.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := OpenDB(cfg.DSN)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to mysql copy: %w", err)
	}
	return &Sink{cfg: cfg, db: db, log: log}, nil
}

// OpenDB opens dsn with the session settings every copy connection needs
// (source.SessionConfig, a strict sql_mode that still accepts zero dates the source accepted,
// utf8mb4 unless the DSN names a collation) and no default database.
func OpenDB(dsn string) (*sql.DB, error) {
	mc, err := source.SessionConfig(dsn, "mysql copy")
	if err != nil {
		return nil, err
	}
	mc.DBName = ""
	mc.Params["sql_mode"] = "'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'"
	if mc.Collation == "" {
		mc.Collation = "utf8mb4_unicode_ci"
	}
	db, err := source.OpenConfig(mc, "mysql copy")
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(4)
	return db, nil
}

// DB returns the sink's connection pool (for tools such as schema migration and verification).
func (s *Sink) DB() *sql.DB { return s.db }

// Ping checks the connection to the copy server.
func (s *Sink) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the connection pool.
func (s *Sink) Close() error { return s.db.Close() }

func (s *Sink) copyDB(source string) string { return sink.MapDatabase(s.cfg.CopyDatabase, source) }
func (s *Sink) viewDB(source string) string { return sink.MapDatabase(s.cfg.ViewDatabase, source) }
