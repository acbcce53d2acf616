package canal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// ErrSchemaMismatch means a row does not match its table map; the tailer stops rather than put a
// value under the wrong column (docs/design.md section 5).
var ErrSchemaMismatch = errors.New("row does not match its table map")

// ErrRowImage means the source does not log full row images.
var ErrRowImage = errors.New("binlog row image is not FULL: set binlog_row_image=FULL on the source " +
	"(SET GLOBAL binlog_row_image=FULL and in the server config), then resync and backfill")

// maxTables bounds the schema cache; it is rebuilt from later table maps when cleared.
const maxTables = 4096

// tableFor returns the event-time schema of a table map, cached by its full fingerprint.
func (t *Tailer) tableFor(tm *replication.TableMapEvent) (*tableInfo, error) {
	key := schemaKey(tm)
	if ti, ok := t.tables[key]; ok {
		return ti, nil
	}
	ti, err := buildTable(tm, t.filter, t.cfg.NoPKPolicy)
	if err != nil {
		return nil, err
	}
	if len(t.tables) >= maxTables {
		clear(t.tables)
	}
	t.tables[key] = ti
	return ti, nil
}

// onRows decodes a rows event into the grouper, one version per row (per row pair for UPDATE).
func (t *Tailer) onRows(ctx context.Context, h *replication.EventHeader, ev *replication.RowsEvent) error {
	var pending pendingRows
	var deferred bool
	if t.rows != nil {
		pending, deferred = t.rows.take(ev) // first: a filtered table's rows are dropped here
	}
	tm := ev.Table
	db, table := string(tm.Schema), string(tm.Table)
	if !t.filter.table(db, table) {
		return nil
	}
	start := t.evEnd - uint64(h.EventSize)
	if err := t.forward(start); err != nil {
		return err
	}
	// The error context is formatted only on an error: a rows event per transaction at the
	// order flow's rate made this Sprintf 1.7% of a streaming tailer's CPU samples.
	file := t.file
	where := func() string { return fmt.Sprintf("%s.%s at %s:%d", db, table, file, start) }
	ti, err := t.tableFor(tm)
	if err != nil {
		return fmt.Errorf("rows of %s: %w", where(), err)
	}
	if ev.ColumnCount != tm.ColumnCount || int(tm.ColumnCount) != ti.allCount {
		return fmt.Errorf("%w: %s: rows event has %d columns, table map %d, schema %d",
			ErrSchemaMismatch, where(), ev.ColumnCount, tm.ColumnCount, ti.allCount)
	}
	op, err := opOf(ev)
	if err != nil {
		return fmt.Errorf("rows of %s: %w", where(), err)
	}
	t.observeEventTime(h)
	images, err := t.images(h, ev, ti, pending, deferred)
	if err != nil {
		return fmt.Errorf("rows of %s: %w", where(), err)
	}
	tmpl := t.template(h, ti, op, start)
	if op == event.TypeUpdate {
		err = t.addUpdates(ctx, images, ti, tmpl, start)
	} else {
		err = t.addRows(ctx, images, ti, tmpl, start)
	}
	if err != nil {
		return fmt.Errorf("rows of %s: %w", where(), err)
	}
	return nil
}

// images returns ev's row images as published values: read by rowImages when deferRows kept
// them and the table and event type allow, else decoded by go-mysql.
func (t *Tailer) images(h *replication.EventHeader, ev *replication.RowsEvent, ti *tableInfo, pending pendingRows, deferred bool) ([][]*string, error) {
	if deferred && ti.plan != nil && directRows(h.EventType) {
		return ti.rowImages(&t.scratch, pending.data[pending.pos:], ev.ColumnCount, ev.ColumnBitmap1, ev.ColumnBitmap2)
	}
	return t.decodedImages(ev, ti, pending, deferred)
}

// decodedImages returns ev's row images as published values through go-mysql's decoding
// (first, if deferred, of the row images pending holds).
func (t *Tailer) decodedImages(ev *replication.RowsEvent, ti *tableInfo, pending pendingRows, deferred bool) ([][]*string, error) {
	if deferred {
		if err := t.rows.decodeRows(ev, pending); err != nil {
			return nil, fmt.Errorf("decode rows: %w", err)
		}
	}
	slab := newValueSlab(len(ev.Rows), len(ti.columns))
	images := make([][]*string, len(ev.Rows))
	for i, raw := range ev.Rows {
		row, err := ti.rowValues(raw, skippedAt(ev, i), slab)
		if err != nil {
			return nil, fmt.Errorf("row image %d: %w", i, err)
		}
		images[i] = row
	}
	return images, nil
}

func opOf(ev *replication.RowsEvent) (string, error) {
	switch ev.Type() {
	case replication.EnumRowsEventTypeInsert:
		return event.TypeInsert, nil
	case replication.EnumRowsEventTypeUpdate:
		return event.TypeUpdate, nil
	case replication.EnumRowsEventTypeDelete:
		return event.TypeDelete, nil
	}
	return "", fmt.Errorf("unsupported rows event (partial JSON updates?): set binlog_row_value_options='' on the source")
}

func (t *Tailer) template(h *replication.EventHeader, ti *tableInfo, op string, start uint64) *event.Message {
	return &event.Message{Database: ti.db, Table: ti.table, PKNames: ti.pk, Type: op,
		ES: int64(h.Timestamp) * 1000, TS: time.Now().UnixMilli(), SQLType: ti.sqlType, MySQLType: ti.mysqlType, GTID: t.gsetTx,
		Ferry: &event.Meta{Format: event.Format, Epoch: t.epoch, File: t.file, Pos: start, GTID: t.gtid,
			ServerID: h.ServerID, Columns: ti.names}}
}

// rowValues decodes one row image into its values in ti.names order (the message's
// ferry.columns; nil is NULL); a skipped column (minimal/noblob image) is an error, since it
// would be indistinguishable from NULL.
func (ti *tableInfo) rowValues(raw []any, skipped []int, slab *valueSlab) ([]*string, error) {
	if len(skipped) > 0 {
		return nil, ErrRowImage
	}
	if len(raw) != ti.allCount {
		return nil, fmt.Errorf("%w: row has %d values for %d columns", ErrSchemaMismatch, len(raw), ti.allCount)
	}
	ptrs, strs := slab.next(len(ti.columns))
	for i := range ti.columns {
		c := &ti.columns[i]
		v := raw[c.index]
		if v == nil {
			continue
		}
		s, err := c.format(v)
		if err != nil {
			return nil, fmt.Errorf("column %s (%s): %w", c.name, c.mysqlTyp, err)
		}
		strs[i] = s
		ptrs[i] = &strs[i]
	}
	return ptrs, nil
}

// valueSlab hands out the value slices of one rows event's rows from two arrays allocated
// once per event, instead of two allocations per row. The rows keep the arrays alive until
// every row of the event is published.
type valueSlab struct {
	ptrs []*string
	strs []string
}

func newValueSlab(rows, cols int) *valueSlab {
	return &valueSlab{ptrs: make([]*string, rows*cols), strs: make([]string, rows*cols)}
}

// next returns the next n values (full capacity n, so appending to one row never touches the
// next); past the event's rows it allocates.
func (s *valueSlab) next(n int) ([]*string, []string) {
	if len(s.ptrs) < n {
		return make([]*string, n), make([]string, n)
	}
	p, v := s.ptrs[:n:n], s.strs[:n:n]
	s.ptrs, s.strs = s.ptrs[n:], s.strs[n:]
	return p, v
}

func skippedAt(ev *replication.RowsEvent, i int) []int {
	if i < len(ev.SkippedColumns) {
		return ev.SkippedColumns[i]
	}
	return nil
}

func (t *Tailer) version(start uint64, row int) (uint64, error) {
	return event.Version(t.epoch, t.fileIdx, start, row)
}

func (t *Tailer) addRows(ctx context.Context, images [][]*string, ti *tableInfo, tmpl *event.Message, start uint64) error {
	for i, row := range images {
		v, err := t.version(start, i)
		if err != nil {
			return err
		}
		if err := t.addRow(ctx, tmpl, row, nil, v); err != nil {
			return err
		}
	}
	t.metrics.Rows.WithLabelValues(ti.db+"."+ti.table, tmpl.Type).Add(float64(len(images)))
	return nil
}

// addUpdates handles before/after pairs. A pair whose key changes becomes a DELETE of the old key
// and an INSERT of the new key (docs/design.md section 1). Pair k of the event gets row index 2k (an
// UPDATE, or the DELETE half) and 2k+1 (the INSERT half of a key change): the two halves need different
// versions, because keys that differ as text can be one key in a copy ('a' and 'a ' under a PAD
// SPACE collation), where a DELETE and INSERT of equal versions would leave whichever came first
// (possibly the tombstone). An event of n pairs holds 2n row images of at least one byte each, so
// start+2n-1 stays below the next event's start and versions still increase along the binlog.
func (t *Tailer) addUpdates(ctx context.Context, images [][]*string, ti *tableInfo, tmpl *event.Message, start uint64) error {
	if len(images)%2 != 0 {
		return fmt.Errorf("%w: update event with %d row images (odd)", ErrSchemaMismatch, len(images))
	}
	var del, ins *event.Message
	for i := 0; i+1 < len(images); i += 2 {
		before, after := images[i], images[i+1]
		v, err := t.version(start, i)
		if err != nil {
			return err
		}
		if event.ValuesKey(ti.pk, ti.names, before) == event.ValuesKey(ti.pk, ti.names, after) {
			err = t.addRow(ctx, tmpl, after, changed(ti.names, before, after), v)
		} else {
			if del == nil {
				del, ins = retype(tmpl, event.TypeDelete), retype(tmpl, event.TypeInsert)
			}
			if err = t.addRow(ctx, del, before, nil, v); err == nil {
				err = t.addRow(ctx, ins, after, nil, v+1)
			}
			t.metrics.Rows.WithLabelValues(ti.db+"."+ti.table, "PK_CHANGE").Inc()
		}
		if err != nil {
			return err
		}
	}
	t.metrics.Rows.WithLabelValues(ti.db+"."+ti.table, tmpl.Type).Add(float64(len(images) / 2))
	return nil
}

func retype(tmpl *event.Message, typ string) *event.Message {
	m := *tmpl
	m.Type = typ
	return &m
}

// changed returns the before values of the columns (names) whose value differs (Canal's "old").
func changed(names []string, before, after []*string) map[string]*string {
	old := map[string]*string{}
	for j, b := range before {
		a := after[j]
		if (a == nil) != (b == nil) || (a != nil && *a != *b) {
			old[names[j]] = b
		}
	}
	return old
}
