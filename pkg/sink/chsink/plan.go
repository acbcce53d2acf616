package chsink

import (
	"fmt"
	"strings"

	"github.com/ClickHouse/ch-go/proto"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// plan is how rows of one source table shape are written to one version of its copy table,
// built once and reused by every batch: the source columns the copy has, one typed column
// buffer per column and the INSERT statement. A plan is valid while the sink's cached copy
// shape is the one it was built from (plan.copy); the DDL path and failed writes drop that
// cache (forget), so the next batch reloads the copy's columns and builds a new plan
// (sink.PlanCache).
type plan struct {
	copy   *copyTable
	cols   []int       // indexes into the source table's Columns of columns the copy has
	names  []string    // names of those columns, for errors
	types  []string    // their ClickHouse types in the copy (what native columns are encoded for)
	makers []newColumn // per entry of cols
	insert string      // column-listed INSERT (docs/stack.md: never without a column list)
	rowKey bool        // the copy is keyed by sink.MetaColumnRowKey: each row also gets its digest
	spare  chan *block // an emptied block kept for the next insert (a sync.Pool drops big ones at GC)
}

// block is the typed column buffers of one insert: the plan's columns, then _version,
// _deleted and, for a copy keyed by row digest, _row_key.
type block struct {
	cols    []column
	version proto.ColUInt64
	deleted proto.ColUInt8
	rowKey  [][]byte
}

// buildPlan plans writing rows of source shape t into copy table ct.
func buildPlan(t *sink.Table, ct *copyTable) (*plan, error) {
	if err := ct.CheckWritable(t); err != nil {
		return nil, err
	}
	p := &plan{copy: ct, spare: make(chan *block, 1), rowKey: ct.RowKey}
	var names []string
	for i, c := range t.Columns {
		chType, ok := ct.Types[c.Name]
		if !ok {
			continue // not in the copy (dropped): write only columns the copy has
		}
		mk, err := columnFor(chType, c)
		if err != nil {
			return nil, fmt.Errorf("%s.%s column %s: %w", ct.DB, ct.Name, c.Name, err)
		}
		p.cols = append(p.cols, i)
		p.names = append(p.names, c.Name)
		p.types = append(p.types, chType)
		p.makers = append(p.makers, mk)
		names = append(names, quote(c.Name))
	}
	names = append(names, "`_version`", "`_deleted`")
	if p.rowKey {
		names = append(names, quote(sink.MetaColumnRowKey))
	}
	// No space before "(": clickhouse-go re-parses the column list of an INSERT (a regex wanting
	// whitespace before the parenthesis) to re-sort the server's block, and that parse mangles
	// quoted names holding backticks, quotes or spaces. Without a match it keeps the server's
	// order, which is the order of this list.
	p.insert = fmt.Sprintf("INSERT INTO %s.%s(%s)", quote(ct.DB), quote(ct.Name), strings.Join(names, ","))
	return p, nil
}

// getBlock returns empty buffers for one insert.
func (p *plan) getBlock() *block {
	select {
	case b := <-p.spare:
		return b
	default:
	}
	b := &block{cols: make([]column, len(p.makers))}
	for i, mk := range p.makers {
		b.cols[i] = mk()
	}
	return b
}

// putBlock empties b and keeps it for the next insert.
func (p *plan) putBlock(b *block) {
	for _, c := range b.cols {
		c.reset()
	}
	clear(b.rowKey)
	b.version.Reset()
	b.deleted.Reset()
	b.rowKey = b.rowKey[:0]
	select {
	case p.spare <- b:
	default: // another insert of this shape kept one
	}
}
