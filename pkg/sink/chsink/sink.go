package chsink

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// Sink is the ClickHouse copy sink; safe for concurrent use.
type Sink struct {
	cfg      Config
	conn     driver.Conn
	log      *slog.Logger
	features Features
	version  string

	tables sink.TableCache[*copyTable]       // key: copyDB + "." + table
	plans  sink.PlanCache[*copyTable, *plan] // write plans by source shape and copy state
	ddlMu  sync.Mutex
}

var _ sink.Sink = (*Sink)(nil)

// Open connects over the native protocol and detects the server's features.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:         []string{cfg.Addr},
		Auth:         clickhouse.Auth{Database: "default", Username: cfg.User, Password: cfg.Password},
		DialTimeout:  min(10*time.Second, cfg.QueryTimeout),
		ReadTimeout:  cfg.QueryTimeout,
		MaxOpenConns: 8,
		// An insert's encoded block is written to the socket whenever it passes 1 MiB (after a
		// column; the protocol is a stream), so each pooled connection keeps a buffer of about
		// that size instead of its largest block's (up to 10 MiB by default): with 40,000-row
		// batches that was what held the replayer's RSS near 150 MB.
		MaxCompressionBuffer: 1 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("open clickhouse copy %s: %w", cfg.Addr, err)
	}
	s := &Sink{cfg: cfg, conn: conn, log: log}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("connect to clickhouse copy %s: %w", cfg.Addr, err)
	}
	v, err := conn.ServerVersion()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("read clickhouse server version: %w", err)
	}
	s.features = FeaturesOf(v.Version.Major, v.Version.Minor)
	s.version = v.Version.String()
	log.Info("connected to clickhouse copy", "addr", cfg.Addr, "version", s.version,
		"datetime64", s.features.DateTime64, "rename_column", s.features.RenameColumn)
	return s, nil
}

// Features returns the detected server capabilities.
func (s *Sink) Features() Features { return s.features }

// ServerVersion returns the server's version text, e.g. "18.16.1".
func (s *Sink) ServerVersion() string { return s.version }

// Conn returns the underlying connection (for tools and tests).
func (s *Sink) Conn() driver.Conn { return s.conn }

// Ping checks the connection to the ClickHouse server.
func (s *Sink) Ping(ctx context.Context) error {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	return s.conn.Ping(ctx)
}

// Close closes the connection.
func (s *Sink) Close() error { return s.conn.Close() }

// deadline bounds a statement: over the native protocol a statement such as an INSERT with inline
// VALUES can hang until the connection's read timeout (measured on this stack's ClickHouse 18.16).
func (s *Sink) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.QueryTimeout)
}

func (s *Sink) exec(ctx context.Context, q string) error {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("clickhouse: %s: %w", firstLine(q), err)
	}
	return nil
}

func (s *Sink) copyDB(source string) string { return sink.MapDatabase(s.cfg.CopyDatabase, source) }
func (s *Sink) viewDB(source string) string { return sink.MapDatabase(s.cfg.ViewDatabase, source) }

func firstLine(q string) string {
	for i, c := range q {
		if c == '\n' || i > 120 {
			return q[:i] + "..."
		}
	}
	return q
}
