package chsink

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// group is the rows of one batch that share a table shape.
type group struct {
	table   *sink.Table
	rows    []*sink.Row
	copy    *copyTable
	cols    []int       // indexes into table.Columns of columns the copy has
	convert []converter // per entry of cols
	insert  string      // column-listed: clickhouse-go rejects INSERT INTO t without one ("expected 0 arguments")
}

// Apply inserts the batch, one native block per table shape. Rows of the same key are all
// kept; ReplacingMergeTree keeps the highest _version when parts merge and FINAL reads that.
// An error may leave some groups inserted; re-applying is harmless.
func (s *Sink) Apply(ctx context.Context, b *sink.Batch) error {
	groups, err := s.plan(ctx, b)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if err := s.insert(ctx, g); err != nil {
			s.forget(g.table.Database, g.table.Name)
			return err
		}
	}
	return nil
}

// plan groups rows by table shape (keeping their order) and prepares each group.
func (s *Sink) plan(ctx context.Context, b *sink.Batch) ([]*group, error) {
	return sink.PlanGroups(ctx, b, func(g *sink.Group) *group { return &group{table: g.Table, rows: g.Rows} }, s.prepare)
}

func (s *Sink) prepare(ctx context.Context, g *group) error {
	if err := g.table.Validate(); err != nil {
		return err
	}
	ct, err := s.table(ctx, g.table)
	if err != nil {
		return err
	}
	g.copy = ct
	for _, pk := range g.table.PK {
		if _, ok := ct.types[pk]; !ok {
			return fmt.Errorf("%w: copy table %s.%s lacks primary key column %s; migrate it with `replayer schema`", sink.ErrBadRow, ct.db, ct.name, pk)
		}
	}
	var names []string
	for i, c := range g.table.Columns {
		chType, ok := ct.types[c.Name]
		if !ok {
			continue // not in the copy (dropped): write only columns the copy has
		}
		conv, err := converterFor(chType, c.MySQLType)
		if err != nil {
			return fmt.Errorf("%s.%s column %s: %w", ct.db, ct.name, c.Name, err)
		}
		g.cols = append(g.cols, i)
		g.convert = append(g.convert, conv)
		names = append(names, quote(c.Name))
	}
	names = append(names, "`_version`", "`_deleted`")
	// No space before "(": clickhouse-go re-parses the column list of an INSERT (a regex wanting
	// whitespace before the parenthesis) to re-sort the server's block, and that parse mangles
	// quoted names holding backticks, quotes or spaces. Without a match it keeps the server's
	// order, which is the order of this list.
	g.insert = fmt.Sprintf("INSERT INTO %s.%s(%s)", quote(ct.db), quote(ct.name), strings.Join(names, ","))
	return nil
}

// insert sends one group as one native batch.
func (s *Sink) insert(ctx context.Context, g *group) error {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	batch, err := s.conn.PrepareBatch(ctx, g.insert)
	if err != nil {
		return fmt.Errorf("prepare insert into %s.%s: %w", g.copy.db, g.copy.name, err)
	}
	defer batch.Abort() //nolint:errcheck // no-op after Send
	vals := make([]any, len(g.cols)+2)
	for _, r := range g.rows {
		for j, ci := range g.cols {
			v, err := g.convert[j](r.Values[ci])
			if err != nil {
				return fmt.Errorf("%s.%s column %s (version %d): %w", g.table.Database, g.table.Name, g.table.Columns[ci].Name, r.Version, err)
			}
			vals[j] = v
		}
		vals[len(g.cols)] = r.Version
		vals[len(g.cols)+1] = deletedFlag(r.Op)
		if err := batch.Append(vals...); err != nil {
			return fmt.Errorf("%w: append row (version %d) to %s.%s: %v", sink.ErrBadRow, r.Version, g.copy.db, g.copy.name, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert %d rows into %s.%s: %w", len(g.rows), g.copy.db, g.copy.name, err)
	}
	return nil
}

func deletedFlag(op sink.Op) uint8 {
	if op == sink.OpDelete {
		return 1
	}
	return 0
}
