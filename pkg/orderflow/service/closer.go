package service

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CloserConfig configures the expired-order closer.
type CloserConfig struct {
	// Batch bounds the orders closed per round (one indexed range scan on (status, expire_at)).
	Batch int `yaml:"close-batch"`
	// Interval is the pause between rounds when a round found less than a full batch.
	Interval time.Duration `yaml:"close-interval"`
}

// DefaultCloserConfig closes up to 200 orders per round and polls every 5 s when idle.
func DefaultCloserConfig() CloserConfig { return CloserConfig{Batch: 200, Interval: 5 * time.Second} }

// Validate reports the first invalid field.
func (c CloserConfig) Validate() error {
	if c.Batch < 1 || c.Batch > 10000 || c.Interval <= 0 {
		return fmt.Errorf("%w: closer needs batch 1-10000 and interval > 0 (got %d, %v)", ErrConfig, c.Batch, c.Interval)
	}
	return nil
}

// CloseExpired closes up to batch created orders whose expire_at has passed: each in its own
// short transaction (status closed, closed_at, coupon released, reserved stock restored). The
// candidates come from the (status, expire_at) index; each is re-checked under its row lock, so
// an order paid meanwhile is left alone. It returns how many orders it closed.
func (s *Service) CloseExpired(ctx context.Context, batch int) (int, error) {
	now := s.nowUTC()
	ids, err := queryAll(ctx, s.db, "find expired orders", scanID, `SELECT id FROM orders FORCE INDEX (idx_orders_status_expire)
		WHERE status = 'created' AND expire_at <= ? ORDER BY expire_at LIMIT ?`, now, batch)
	if err != nil {
		return 0, err
	}
	closed := 0
	for _, id := range ids {
		err := s.closeExpired(ctx, id, now)
		switch {
		case errors.Is(err, errNotExpired):
		case err != nil:
			return closed, fmt.Errorf("close expired order %d: %w", id, err)
		default:
			closed++
		}
	}
	s.metrics.Closed.Add(float64(closed))
	return closed, nil
}

// RunCloser closes expired orders until ctx ends: full batches back to back, then a pause.
func (s *Service) RunCloser(ctx context.Context, cfg CloserConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	for {
		n, err := s.CloseExpired(ctx, cfg.Batch)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("closer round failed; will retry", "closed", n, "err", err)
		} else if n > 0 {
			s.log.Info("closer round", "closed", n)
		}
		if n == cfg.Batch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(cfg.Interval):
		}
	}
}
