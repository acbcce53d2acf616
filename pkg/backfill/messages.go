package backfill

import (
	"sync/atomic"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// Outgoing is a message with its placement, as the tailer would publish it: Queue is
// event.QueueFor of its rows' table and key, ShardingKey that of its first row.
type Outgoing struct {
	Queue       int
	ShardingKey string
	Msg         *event.Message
}

// Builder turns source rows into change-event messages placed like the tailer's: one
// (table, operation, queue) per message, at most MaxRows rows and about MaxBytes of values each.
type Builder struct {
	Epoch      uint8
	ServerID   uint32
	QueueCount int
	MaxRows    int
	MaxBytes   int
	seq        atomic.Int64
}

// messageBase returns an empty message of t with the per-table fields filled in.
func (b *Builder) messageBase(t *Table, typ string, pos Position) *event.Message {
	m := &event.Message{
		ID: b.seq.Add(1), Database: t.Database, Table: t.Name, PKNames: t.PK, Type: typ,
		ES: time.Now().UnixMilli(), TS: time.Now().UnixMilli(),
		SQLType: make(map[string]int, len(t.Columns)), MySQLType: make(map[string]string, len(t.Columns)),
		Ferry: &event.Meta{Format: event.Format, Epoch: b.Epoch, File: pos.File, Pos: pos.Pos,
			ServerID: b.ServerID, Snapshot: true, Columns: make([]string, len(t.Columns))},
	}
	for i, c := range t.Columns {
		m.Ferry.Columns[i] = c.Name
		m.MySQLType[c.Name] = c.MySQLType
		m.SQLType[c.Name] = event.SQLTypeOf(c.Type)
	}
	return m
}

// columnNames returns t's column names in order.
func columnNames(t *Table) []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// Build places rows (encoded, in t.Columns order) of operation typ (INSERT for snapshot rows,
// DELETE for keys gone from the source: the key with every other column NULL) read at pos into
// messages. Every row carries version and every column.
func (b *Builder) Build(t *Table, typ string, rows [][]*string, version uint64, pos Position) []Outgoing {
	type open struct {
		out   Outgoing
		bytes int
	}
	byQueue := map[int]*open{}
	var out []Outgoing
	cols := columnNames(t)
	for _, row := range rows { // every column, NULL included: the replayer needs full images
		size := 0
		for _, v := range row {
			if v != nil {
				size += len(*v)
			}
		}
		rowKey := event.ValuesKey(t.PK, cols, row)
		q := event.QueueFor(t.Database, t.Name, rowKey, b.QueueCount)
		o := byQueue[q]
		if o != nil && (o.out.Msg.NumRows() >= b.MaxRows || o.bytes+size > b.MaxBytes) {
			out = append(out, o.out)
			o = nil
		}
		if o == nil {
			o = &open{out: Outgoing{Queue: q, ShardingKey: event.ShardingKey(t.Database, t.Name, rowKey), Msg: b.messageBase(t, typ, pos)}}
			byQueue[q] = o
		}
		o.out.Msg.AddValues(row)
		o.out.Msg.Ferry.Versions = append(o.out.Msg.Ferry.Versions, version)
		o.bytes += size
	}
	for q := 0; q <= b.QueueCount; q++ { // deterministic order
		if o := byQueue[q]; o != nil {
			out = append(out, o.out)
		}
	}
	return out
}
