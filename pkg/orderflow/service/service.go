package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/ferry-cdc/ferry/internal/retry"
)

// Service implements the order operations over the shop database. It is safe for concurrent use.
type Service struct {
	db      *sql.DB
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	relay   *Relay
	now     func() time.Time
	seq     atomic.Uint64
}

// Option customises a Service.
type Option func(*Service)

// WithRelay makes Pay send the order-paid message right after the commit through r. Without a
// relay the message stays in order_outbox until a relay sweeps it.
func WithRelay(r *Relay) Option { return func(s *Service) { s.relay = r } }

// WithMetrics records the service's metrics in m.
func WithMetrics(m *Metrics) Option { return func(s *Service) { s.metrics = m } }

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New validates cfg and returns a service over db (with or without parseTime=true in the DSN).
func New(db *sql.DB, cfg Config, log *slog.Logger, opts ...Option) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: db, cfg: cfg, log: log, now: time.Now}
	s.seq.Store(rand.Uint64N(1_000_000_000))
	for _, o := range opts {
		o(s)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics(nil)
	}
	return s, nil
}

// Config returns the service's configuration.
func (s *Service) Config() Config { return s.cfg }

// DB returns the service's database handle.
func (s *Service) DB() *sql.DB { return s.db }

// nowUTC is the application clock, truncated to the DATETIME(3) precision of the schema.
func (s *Service) nowUTC() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// newNo returns a 24-character business number: prefix letter, UTC timestamp to the second and
// a 9-digit per-process sequence that starts at a random point.
func (s *Service) newNo(prefix byte, t time.Time) string {
	return fmt.Sprintf("%c%s%09d", prefix, t.Format("20060102150405"), s.seq.Add(1)%1_000_000_000)[:24]
}

// inTx runs fn in a transaction, committing if it returns nil. A deadlock (1213) or lock wait
// timeout (1205) is retried up to 3 times because the whole transaction was rolled back.
func (s *Service) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	var err error
	backoff := retry.Backoff{First: 5 * time.Millisecond, Max: 20 * time.Millisecond}
	for attempt := 0; attempt < 4; attempt++ {
		err = s.tryTx(ctx, fn)
		if !retryable(err) || attempt == 3 {
			return err
		}
		if werr := backoff.Wait(ctx); werr != nil {
			return err
		}
	}
	return err
}

func (s *Service) tryTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func retryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// isDuplicate reports a duplicate-key error (1062).
func isDuplicate(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}
