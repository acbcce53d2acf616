package publish

import (
	"context"
	"fmt"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// Publish splits each message's rows by queue (same placement and batching as the tailer), sends
// them, and returns once every resulting message got SEND_OK, or with an error when ctx ends or
// the publisher closes. DDL messages go to every queue. The messages' Ferry metadata (versions,
// snapshot flag) is kept; IDs are reassigned. It is meant for the backfill: use one goroutine per
// Publisher, since concurrent Publish calls interleave their batches.
func (p *Publisher) Publish(ctx context.Context, msgs []event.Message) error {
	var done []chan struct{}
	g := NewGrouper(p)
	g.onSeal = func() chan struct{} {
		ch := make(chan struct{})
		done = append(done, ch)
		return ch
	}
	for i := range msgs {
		m := &msgs[i]
		if err := m.ValidateForEncoding(); err != nil { // the encoder checks UTF-8
			return fmt.Errorf("publish message %d: %w", i, err)
		}
		if err := g.addMessage(ctx, m); err != nil {
			return err
		}
	}
	if err := g.SealAll(ctx); err != nil {
		return err
	}
	for _, ch := range done {
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("publish: waiting for SEND_OK: %w", ctx.Err())
		case <-p.closed:
			return fmt.Errorf("publish: %w", ErrClosed)
		}
	}
	return nil
}

// addMessage adds every row of m (or m itself, a DDL, to every queue).
func (b *Grouper) addMessage(ctx context.Context, m *event.Message) error {
	if m.IsDDL {
		return b.AddDDL(ctx, m)
	}
	vals := m.ValueRows()
	for i := range m.NumRows() {
		var old map[string]*string
		if len(m.Old) > 0 {
			old = m.Old[i]
		}
		var err error
		if vals != nil {
			err = b.AddValues(ctx, m, vals[i], old, m.Ferry.Versions[i])
		} else {
			err = b.Add(ctx, m, m.Data[i], old, m.Ferry.Versions[i])
		}
		if err != nil {
			return err
		}
	}
	return nil
}
