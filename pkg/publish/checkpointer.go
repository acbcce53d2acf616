package publish

import (
	"context"
	"log/slog"
	"time"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
)

// Checkpointer writes the ack tracker's safe boundaries to the data directory.
type Checkpointer struct {
	dir     string
	acks    *ackTracker
	metrics *Metrics
	log     *slog.Logger
	every   time.Duration
	last    checkpoint.State
}

// NewCheckpointer writes p's safe boundaries to dir at most every `every` (Run). The checkpoint
// gauges of p's metrics start at start (the checkpoint the tailer resumed from, already durable).
func NewCheckpointer(dir string, p *Publisher, log *slog.Logger, every time.Duration, start checkpoint.State) *Checkpointer {
	c := &Checkpointer{dir: dir, acks: p.acks, metrics: p.metrics, log: log, every: every, last: start}
	c.observe(start)
	return c
}

func (c *Checkpointer) observe(s checkpoint.State) {
	c.metrics.CheckpointPos.Set(float64(s.Pos))
	if idx, err := event.FileIndex(s.File); err == nil {
		c.metrics.CheckpointFile.Set(float64(idx))
	}
	if !s.UpdatedAt.IsZero() {
		c.metrics.CheckpointTime.Set(float64(s.UpdatedAt.Unix()))
	}
}

// Run writes checkpoints until ctx ends; a failed write is logged and retried at the next tick
// (the tailer keeps running, and an older checkpoint only costs duplicates).
func (c *Checkpointer) Run(ctx context.Context) {
	tick := time.NewTicker(c.every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			c.WriteSafe()
		case <-ctx.Done():
			return
		}
	}
}

// WriteSafe writes the newest safe boundary, if there is a new one.
func (c *Checkpointer) WriteSafe() {
	s := c.acks.takeSafe()
	if s == nil {
		return
	}
	if err := checkpoint.Save(c.dir, *s); err != nil {
		c.log.Error("write checkpoint failed; will retry", "error", err)
		c.acks.restore(s)
		return
	}
	c.last = *s
	c.observe(*s)
}

// Last returns the last checkpoint written.
func (c *Checkpointer) Last() checkpoint.State { return c.last }
