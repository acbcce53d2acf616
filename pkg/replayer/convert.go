package replayer

import (
	"fmt"
	"sync"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// tableCache shares one *sink.Table per message shape (database, table, columns, types, key),
// so rows of many messages group cheaply in the sinks.
type tableCache struct {
	mu  sync.Mutex
	m   map[string]*sink.Table
	key []byte // the lookup key being built (under mu)
}

func newTableCache() *tableCache { return &tableCache{m: map[string]*sink.Table{}} }

// tableOf returns the table shape of a row message.
func (c *tableCache) tableOf(m *event.Message) (*sink.Table, error) {
	// The key is built into a reused buffer and looked up without converting it to a string
	// (one allocation per message less for each column; it runs once per message).
	c.mu.Lock()
	defer c.mu.Unlock()
	kb := append(c.key[:0], m.Database...)
	kb = append(append(kb, '.'), m.Table...)
	for _, col := range m.Ferry.Columns {
		kb = append(append(append(append(kb, 0), col...), ' '), m.MySQLType[col]...)
	}
	kb = append(kb, 1)
	for i, pk := range m.PKNames {
		if i > 0 {
			kb = append(kb, 0)
		}
		kb = append(kb, pk...)
	}
	c.key = kb
	if t := c.m[string(kb)]; t != nil {
		return t, nil
	}
	key := string(kb)
	t := &sink.Table{Database: m.Database, Name: m.Table, PK: append([]string(nil), m.PKNames...)}
	for _, col := range m.Ferry.Columns {
		typ, ok := m.MySQLType[col]
		if !ok {
			return nil, fmt.Errorf("%w: column %s has no mysqlType", event.ErrMalformed, col)
		}
		ct, err := event.ParseMySQLType(typ)
		if err != nil {
			return nil, fmt.Errorf("%w: column %s: %v", event.ErrMalformed, col, err)
		}
		t.Columns = append(t.Columns, sink.Column{Name: col, MySQLType: typ, Type: ct})
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if len(c.m) > 10000 { // bound memory across long runs with many schema changes
		c.m = map[string]*sink.Table{}
	}
	c.m[key] = t
	return t, nil
}

// toRows converts a row message decoded by event.DecodeColumnsShared (its data images as values in
// ferry.columns order, which is the table's column order) into sink rows; size approximates
// their value bytes.
func (c *tableCache) toRows(m *event.Message, vals [][]*string) (rows []sink.Row, size int, err error) {
	t, err := c.tableOf(m)
	if err != nil {
		return nil, 0, err
	}
	var op sink.Op
	switch m.Type {
	case event.TypeInsert:
		op = sink.OpInsert
	case event.TypeUpdate:
		op = sink.OpUpdate
	case event.TypeDelete:
		op = sink.OpDelete
	default:
		return nil, 0, fmt.Errorf("%w: row message of type %q", event.ErrMalformed, m.Type)
	}
	rows = make([]sink.Row, len(vals))
	for i, v := range vals {
		if len(v) != len(t.Columns) {
			return nil, 0, fmt.Errorf("%w: row %d has %d values for %d columns", event.ErrMalformed, i, len(v), len(t.Columns))
		}
		for _, s := range v {
			if s != nil {
				size += len(*s)
			}
		}
		rows[i] = sink.Row{Table: t, Op: op, Version: m.Ferry.Versions[i], Values: v}
		size += 16 * len(v)
	}
	return rows, size, nil
}

// toDDL converts a decoded DDL message.
func toDDL(m *event.Message) *sink.DDL {
	d := &sink.DDL{
		Database: m.Database,
		Table:    m.Table,
		Kind:     m.Type,
		SQL:      m.SQL,
		Version:  m.Ferry.Versions[0],
		Position: fmt.Sprintf("%s:%d", m.Ferry.File, m.Ferry.Pos),
	}
	if m.ES > 0 {
		d.Time = time.UnixMilli(m.ES).UTC()
	}
	return d
}
