package replayer

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// tableCache shares one *sink.Table per message shape (database, table, columns, types, key),
// so rows of many messages group cheaply in the sinks.
type tableCache struct {
	mu sync.Mutex
	m  map[string]*sink.Table
}

func newTableCache() *tableCache { return &tableCache{m: map[string]*sink.Table{}} }

// tableOf returns the table shape of a row message.
func (c *tableCache) tableOf(m *event.Message) (*sink.Table, error) {
	var kb strings.Builder
	kb.WriteString(m.Database + "." + m.Table)
	for _, col := range m.Ferry.Columns {
		kb.WriteString("\x00" + col + " " + m.MySQLType[col])
	}
	kb.WriteString("\x01" + strings.Join(m.PKNames, "\x00"))
	key := kb.String()
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.m[key]; t != nil {
		return t, nil
	}
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

// toRows converts a decoded row message into sink rows; size approximates their value bytes.
// Every row image must carry every column (the tailer publishes FULL row images); a missing
// column is refused rather than written as NULL.
func (c *tableCache) toRows(m *event.Message) (rows []sink.Row, size int, err error) {
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
	rows = make([]sink.Row, len(m.Data))
	for i, img := range m.Data {
		vals := make([]*string, len(t.Columns))
		for j, col := range t.Columns {
			v, ok := img[col.Name]
			if !ok {
				return nil, 0, fmt.Errorf("%w: row %d lacks column %s (the replayer needs full row images; set binlog_row_image=FULL at the source)", event.ErrMalformed, i, col.Name)
			}
			vals[j] = v
			if v != nil {
				size += len(*v)
			}
		}
		rows[i] = sink.Row{Table: t, Op: op, Version: m.Ferry.Versions[i], Values: vals}
		size += 16 * len(vals)
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
