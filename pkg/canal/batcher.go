package canal

import (
	"context"
	"fmt"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// batcher collects rows into one open message per queue. A queue's open message holds consecutive
// rows of one (table, operation); a row of another table or operation, or hitting the row/byte
// limit, seals the open message first. Sealing hands the message to the queue's lane, so each
// queue's messages are sent in the order their rows were read (per-key binlog order).
type batcher struct {
	pub   *Publisher
	open  []*openBatch
	rows  int // rows in open batches
	queue func(db, table, rowKey string) int
	// onSeal, when set, returns a channel closed on the sealed message's SEND_OK (Publish API).
	onSeal func() chan struct{}
	// ctx bounds how long sealing may wait for a full lane (the stream's or the drain's context).
	ctx context.Context
}

func (b *batcher) doneChan() chan struct{} {
	if b.onSeal == nil {
		return nil
	}
	return b.onSeal()
}

type openBatch struct {
	msg   *event.Message
	bytes int
}

func newBatcher(p *Publisher) *batcher {
	n := p.Queues()
	return &batcher{pub: p, open: make([]*openBatch, n), ctx: context.Background(), queue: func(db, table, key string) int {
		return event.QueueFor(db, table, key, n)
	}}
}

// rowSize estimates a row's JSON size (names, values, quotes and separators).
func rowSize(row map[string]*string, old map[string]*string) int {
	n := 2
	for k, v := range row {
		n += len(k) + 6
		if v != nil {
			n += len(*v) + len(*v)/8 // escapes
		}
	}
	for k, v := range old {
		n += len(k) + 6
		if v != nil {
			n += len(*v) + len(*v)/8
		}
	}
	return n + 22 // version
}

// add appends row i of tmpl (a message carrying the table-level fields) to its queue's batch.
func (b *batcher) add(tmpl *event.Message, row, old map[string]*string, version uint64) error {
	key := rowKey(tmpl, row)
	q := b.queue(tmpl.Database, tmpl.Table, key)
	size := rowSize(row, old)
	ob := b.open[q]
	if ob != nil && (ob.msg.Table != tmpl.Table || ob.msg.Database != tmpl.Database || ob.msg.Type != tmpl.Type ||
		ob.msg.Ferry.Snapshot != tmpl.Ferry.Snapshot || !sameColumns(ob.msg, tmpl) ||
		len(ob.msg.Data) >= b.pub.cfg.MaxBatchRows || ob.bytes+size > b.pub.cfg.MaxBatchBytes) {
		if err := b.seal(q); err != nil {
			return err
		}
		ob = nil
	}
	if ob == nil {
		ob = &openBatch{msg: cloneHeader(tmpl), bytes: 512}
		b.open[q] = ob
	}
	ob.msg.Data = append(ob.msg.Data, row)
	if old != nil {
		ob.msg.Old = append(ob.msg.Old, old)
	}
	ob.msg.Ferry.Versions = append(ob.msg.Ferry.Versions, version)
	ob.bytes += size
	b.rows++
	return nil
}

// sameColumns: messages share the schema maps of one tableInfo, so pointer-equal column slices
// mean the same event-time schema; a DDL in between yields a new slice and a new message.
func sameColumns(a, b *event.Message) bool {
	return len(a.Ferry.Columns) == len(b.Ferry.Columns) &&
		(len(a.Ferry.Columns) == 0 || &a.Ferry.Columns[0] == &b.Ferry.Columns[0])
}

func rowKey(tmpl *event.Message, row map[string]*string) string {
	if len(tmpl.PKNames) == 1 {
		if v := row[tmpl.PKNames[0]]; v != nil {
			return *v
		}
		return "~"
	}
	names := tmpl.PKNames
	if len(names) == 0 {
		names = tmpl.Ferry.Columns
	}
	return event.KeyOf(names, row)
}

func cloneHeader(t *event.Message) *event.Message {
	m := *t
	meta := *t.Ferry
	meta.Versions = nil
	m.Ferry = &meta
	m.Data, m.Old = nil, nil
	return &m
}

// seal hands queue q's open batch to its lane.
func (b *batcher) seal(q int) error {
	ob := b.open[q]
	if ob == nil {
		return nil
	}
	b.open[q] = nil
	b.rows -= len(ob.msg.Data)
	return b.pub.enqueue(b.ctx, q, ob.msg, b.doneChan(), ob.bytes)
}

// sealAll seals every open batch.
func (b *batcher) sealAll() error {
	for q := range b.open {
		if err := b.seal(q); err != nil {
			return err
		}
	}
	return nil
}

// Publish splits each message's rows by queue (same placement and batching as the tailer), sends
// them, and returns once every resulting message got SEND_OK, or with an error when ctx ends or
// the publisher closes. DDL messages go to every queue. The messages' Ferry metadata (versions,
// snapshot flag) is kept; IDs are reassigned. It is meant for the backfill: use one goroutine per
// Publisher, since concurrent Publish calls interleave their batches.
func (p *Publisher) Publish(ctx context.Context, msgs []event.Message) error {
	var done []chan struct{}
	b := newBatcher(p)
	b.ctx = ctx
	b.onSeal = func() chan struct{} {
		ch := make(chan struct{})
		done = append(done, ch)
		return ch
	}
	for i := range msgs {
		m := &msgs[i]
		if err := m.Validate(); err != nil {
			return fmt.Errorf("publish message %d: %w", i, err)
		}
		if err := b.addMessage(m); err != nil {
			return err
		}
	}
	if err := b.sealAll(); err != nil {
		return err
	}
	for _, ch := range done {
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("publish: waiting for SEND_OK: %w", ctx.Err())
		case <-p.ctx.Done():
			return fmt.Errorf("publish: %w", ErrClosed)
		}
	}
	return nil
}

func (b *batcher) addMessage(m *event.Message) error {
	if m.IsDDL {
		if err := b.sealAll(); err != nil {
			return err
		}
		return b.broadcast(m)
	}
	for i, row := range m.Data {
		var old map[string]*string
		if len(m.Old) > 0 {
			old = m.Old[i]
		}
		if err := b.add(m, row, old, m.Ferry.Versions[i]); err != nil {
			return err
		}
	}
	return nil
}

// broadcast sends a copy of DDL message m to every queue (after sealing the open batches, so each
// queue sees the DDL after the rows before it).
func (b *batcher) broadcast(m *event.Message) error {
	for q := range b.open {
		c := *m
		meta := *m.Ferry
		c.Ferry = &meta
		markDDLCopy(&c, q)
		if err := b.pub.enqueue(b.ctx, q, &c, b.doneChan(), len(c.SQL)+512); err != nil {
			return err
		}
	}
	return nil
}
