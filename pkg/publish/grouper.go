package publish

import (
	"context"
	"fmt"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// Grouper groups rows into messages per queue within a flush window (docs/design.md section 4)
// and seals them to the publisher's lanes. One goroutine owns a Grouper.
//
// Invariant: one key's rows reach its queue in binlog order. A queue's unsealed messages are kept
// in creation order and are sealed (handed to the queue's lane) in that order, so send order is
// creation order. A row of key K joins the open message of its group (table, operation,
// event-time schema, snapshot flag) only if K's previous row in this window sits in a message
// created no later than that open message; otherwise the group gets a new message, created after
// the one holding K's previous row. Rows of all transactions of a window are grouped this way, so
// an order flow's interleaved tables and operations share a few dense messages per queue. A
// message that reached the row/byte limit is sealed with every message created before it on its
// queue; SealAll seals everything.
type Grouper struct {
	pub   *Publisher
	open  []*window // per queue: the unsealed messages of this flush window
	rows  int       // rows in unsealed messages
	made  uint64    // messages created so far (creation order)
	queue func(db, table, rowKey string) int
	// onSeal, when set, returns a channel closed on the sealed message's SEND_OK (Publish API).
	onSeal func() chan struct{}
}

func (b *Grouper) doneChan() chan struct{} {
	if b.onSeal == nil {
		return nil
	}
	return b.onSeal()
}

// openBatch is one unsealed message.
type openBatch struct {
	msg   *event.Message
	bytes int
	n     uint64 // creation number
	group groupKey
	open  bool // the open message of its group (rows may still join it)
}

// groupKey identifies the rows that may share a message. Messages share the schema slices of one
// tableInfo, so the address of the first column identifies the event-time schema; a DDL in
// between yields a new slice and so a new group.
type groupKey struct {
	db, table, typ string
	cols           *string
	ncols          int
	snapshot       bool
}

func groupOf(m *event.Message) groupKey {
	g := groupKey{db: m.Database, table: m.Table, typ: m.Type, ncols: len(m.Ferry.Columns), snapshot: m.Ferry.Snapshot}
	if g.ncols > 0 {
		g.cols = &m.Ferry.Columns[0]
	}
	return g
}

// keyID is one row key of one table.
type keyID struct{ db, table, key string }

// window is one queue's unsealed messages.
type window struct {
	msgs   []*openBatch            // creation (= send) order
	groups map[groupKey]*openBatch // the open message of each group
	last   map[keyID]uint64        // creation number of the message holding the key's latest row
	hot    *openBatch              // the message the previous row went to (skips the map lookup)
}

// NewGrouper returns an empty Grouper sealing to p. Every method that seals takes the context that
// bounds how long it may wait for a full lane (back-pressure).
func NewGrouper(p *Publisher) *Grouper {
	n := p.Queues()
	var last struct {
		db, table string
		h         event.TableHash
	}
	b := &Grouper{pub: p, open: make([]*window, n), queue: func(db, table, key string) int {
		if db != last.db || table != last.table || last.db == "" { // rows come in runs of one table
			last.db, last.table, last.h = db, table, event.NewTableHash(db, table)
		}
		return last.h.QueueFor(key, n)
	}}
	for q := range b.open {
		b.open[q] = &window{groups: map[groupKey]*openBatch{}, last: map[keyID]uint64{}}
	}
	return b
}

// rowSize estimates a row's JSON size (names, values, quotes and separators) from the image as a
// map (row) or as values (vals, in cols order).
func rowSize(row map[string]*string, cols []string, vals []*string, old map[string]*string) int {
	n := 2
	for k, v := range row {
		n += valueSize(k, v)
	}
	for j, v := range vals {
		n += valueSize(cols[j], v)
	}
	for k, v := range old {
		n += valueSize(k, v)
	}
	return n + 22 // version
}

// valueSize estimates the JSON size of one member.
func valueSize(k string, v *string) int {
	if v == nil {
		return len(k) + 6
	}
	return len(k) + 6 + len(*v) + len(*v)/8 // escapes
}

// Rows returns the number of rows in unsealed messages.
func (b *Grouper) Rows() int { return b.rows }

// Add appends a row of tmpl (a message carrying the table-level fields) to a message of its
// queue; a message that reaches the row or byte limit is sealed (waiting for its lane within ctx).
func (b *Grouper) Add(ctx context.Context, tmpl *event.Message, row, old map[string]*string, version uint64) error {
	return b.add(ctx, tmpl, image{row: row}, old, version)
}

// AddValues is Add for a row given as its values in tmpl.Ferry.Columns order (nil is SQL NULL),
// which its message keeps (event.Message.AddValues): no map per row.
func (b *Grouper) AddValues(ctx context.Context, tmpl *event.Message, vals []*string, old map[string]*string, version uint64) error {
	return b.add(ctx, tmpl, image{vals: vals}, old, version)
}

// image is a data image as a map or as values in column order.
type image struct {
	row  map[string]*string
	vals []*string
}

func (b *Grouper) add(ctx context.Context, tmpl *event.Message, img image, old map[string]*string, version uint64) error {
	var key string
	if img.vals != nil {
		key = event.ValuesKey(tmpl.PKNames, tmpl.Ferry.Columns, img.vals)
	} else {
		key = event.ImageKey(tmpl.PKNames, tmpl.Ferry.Columns, img.row)
	}
	q := b.queue(tmpl.Database, tmpl.Table, key)
	size := rowSize(img.row, tmpl.Ferry.Columns, img.vals, old)
	w := b.open[q]
	id := keyID{tmpl.Database, tmpl.Table, key}
	ob := w.openFor(tmpl)
	if ob != nil && (ob.msg.NumRows() >= b.pub.cfg.MaxBatchRows || ob.bytes+size > b.pub.cfg.MaxBatchBytes) {
		if err := b.sealThrough(ctx, q, ob); err != nil {
			return err
		}
		ob = nil
	}
	if ob == nil || w.newerThan(id, ob) {
		ob = w.start(tmpl, b.next())
	}
	if err := encodeImage(ob.msg, img); err != nil {
		return fmt.Errorf("add a row of %s.%s: %w", tmpl.Database, tmpl.Table, err) // a message left empty is never sent
	}
	w.hot = ob
	// A row in the oldest unsealed message needs no record: every message it could later join was
	// created no earlier. (A bulk load of one table thus never touches the map.)
	if ob != w.msgs[0] {
		w.last[id] = ob.n
	}
	if old != nil {
		ob.msg.Old = append(ob.msg.Old, old)
	}
	ob.msg.Ferry.Versions = append(ob.msg.Ferry.Versions, version)
	ob.bytes += size
	b.rows++
	return nil
}

// encodeImage encodes img into m's JSON at once, while its values are in the CPU's caches
// (event.Message.EncodeValues): the message then holds text, not rows, while it waits.
func encodeImage(m *event.Message, img image) error {
	if img.vals != nil {
		return m.EncodeValues(img.vals)
	}
	return m.EncodeImage(img.row)
}

// newerThan reports whether key id's previous row in this window is in a message created after
// ob. With one unsealed message no row can be (sealed messages are older than every unsealed one).
func (w *window) newerThan(id keyID, ob *openBatch) bool {
	if len(w.msgs) == 1 {
		return false
	}
	prev, ok := w.last[id]
	return ok && prev > ob.n
}

// start opens a new message numbered n for tmpl's group, after every unsealed message.
func (w *window) start(tmpl *event.Message, n uint64) *openBatch {
	ob := &openBatch{msg: cloneHeader(tmpl), bytes: 512, n: n, group: groupOf(tmpl), open: true}
	if prev := w.groups[ob.group]; prev != nil {
		prev.open = false
	}
	w.msgs = append(w.msgs, ob)
	w.groups[ob.group] = ob
	return ob
}

// next numbers a new message (creation order).
func (b *Grouper) next() uint64 {
	b.made++
	return b.made
}

// openFor returns the open message of tmpl's group, or nil.
func (w *window) openFor(tmpl *event.Message) *openBatch {
	if h := w.hot; h != nil && h.open && sameGroup(h.msg, tmpl) {
		return h
	}
	return w.groups[groupOf(tmpl)]
}

// sameGroup reports whether a row of b belongs to message a's group (groupKey, without building one).
func sameGroup(a, b *event.Message) bool {
	return a.Table == b.Table && a.Database == b.Database && a.Type == b.Type &&
		a.Ferry.Snapshot == b.Ferry.Snapshot && sameColumns(a, b)
}

// sameColumns: messages share the schema maps of one tableInfo, so pointer-equal column slices
// mean the same event-time schema; a DDL in between yields a new slice and a new message.
func sameColumns(a, b *event.Message) bool {
	return len(a.Ferry.Columns) == len(b.Ferry.Columns) &&
		(len(a.Ferry.Columns) == 0 || &a.Ferry.Columns[0] == &b.Ferry.Columns[0])
}

func cloneHeader(t *event.Message) *event.Message {
	m := *t
	meta := *t.Ferry
	meta.Versions = nil
	m.Ferry = &meta
	m.DropRows()
	return &m
}

// sealThrough hands ob and every message created before it on queue q to q's lane, in creation
// order.
func (b *Grouper) sealThrough(ctx context.Context, q int, ob *openBatch) error {
	w := b.open[q]
	var sealed []*outgoing
	i := 0
	for ; i < len(w.msgs) && w.msgs[i].n <= ob.n; i++ {
		m := w.msgs[i]
		if m.open {
			m.open = false
			delete(w.groups, m.group)
		}
		if m.msg.NumRows() == 0 && !m.msg.IsDDL {
			continue // left empty by a row that failed to encode
		}
		b.rows -= m.msg.NumRows()
		sealed = append(sealed, b.pub.seal(q, m.msg, b.doneChan(), m.bytes))
	}
	if i == len(w.msgs) {
		w.reset()
	} else {
		n := copy(w.msgs, w.msgs[i:])
		clear(w.msgs[n:]) // sealed messages belong to the lane now
		w.msgs = w.msgs[:n]
	}
	if len(sealed) == 0 {
		return nil
	}
	return b.pub.enqueueAll(ctx, q, sealed)
}

// reset forgets the window's keys once its messages are all sealed (every open message created
// later gets a higher creation number than any key's previous row, so the keys are not needed).
func (w *window) reset() {
	clear(w.msgs)
	w.msgs, w.hot = w.msgs[:0], nil
	clear(w.groups)
	clear(w.last)
}

// SealAll seals every unsealed message, queue by queue in creation order.
func (b *Grouper) SealAll(ctx context.Context) error {
	for q, w := range b.open {
		if len(w.msgs) == 0 {
			continue
		}
		if err := b.sealThrough(ctx, q, w.msgs[len(w.msgs)-1]); err != nil {
			return err
		}
	}
	return nil
}

// AddDDL seals every unsealed message, then sends a copy of DDL message m to every queue, so each
// queue meets the DDL after the rows before it and before the rows after it.
func (b *Grouper) AddDDL(ctx context.Context, m *event.Message) error {
	if err := b.SealAll(ctx); err != nil {
		return err
	}
	for q := range b.open {
		c := *m
		meta := *m.Ferry
		meta.Queues = len(b.open) // the replayer's barrier waits for these queues only
		c.Ferry = &meta
		markDDLCopy(&c, q)
		if err := b.pub.enqueue(ctx, q, &c, b.doneChan(), len(c.SQL)+512); err != nil {
			return err
		}
	}
	return nil
}
