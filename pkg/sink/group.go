package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Group is the rows of one table shape in a batch, in batch order.
type Group struct {
	Table *Table
	Rows  []*Row
}

// GroupByTable splits a batch into one group per table shape (Table.Key), groups in the order
// their first row appears and rows in batch order within a group, so that the version guard sees
// a key's changes in the order they were delivered. A row whose value count does not match its
// table is rejected with ErrBadRow.
func GroupByTable(b *Batch) ([]*Group, error) {
	var groups []*Group
	byPtr := map[*Table]*Group{}
	byKey := map[string]*Group{}
	for i := range b.Rows {
		r := &b.Rows[i]
		g := byPtr[r.Table]
		if g == nil {
			k := r.Table.Key()
			if g = byKey[k]; g == nil {
				g = &Group{Table: r.Table}
				byKey[k] = g
				groups = append(groups, g)
			}
			byPtr[r.Table] = g
		}
		if len(r.Values) != len(r.Table.Columns) {
			return nil, fmt.Errorf("%w: row of %s.%s has %d values for %d columns", ErrBadRow, r.Table.Database, r.Table.Name, len(r.Values), len(r.Table.Columns))
		}
		g.Rows = append(g.Rows, r)
	}
	return groups, nil
}

// PlanGroups is the planning step of a sink's Apply: it groups b by table shape (GroupByTable),
// wraps each group in the sink's own group type and prepares the groups in order, stopping at
// the first error.
func PlanGroups[G any](ctx context.Context, b *Batch, wrap func(*Group) G, prepare func(context.Context, G) error) ([]G, error) {
	gs, err := GroupByTable(b)
	if err != nil {
		return nil, err
	}
	groups := make([]G, len(gs))
	for i, g := range gs {
		groups[i] = wrap(g)
	}
	for _, g := range groups {
		if err := prepare(ctx, g); err != nil {
			return nil, err
		}
	}
	return groups, nil
}

// TableCache caches a sink's per-table state (the shape of a copy table) by "copyDB.table".
// It is safe for concurrent use; loads run outside the lock, so two callers may load the same
// table at once and the later result wins, which is harmless for read-only shapes.
type TableCache[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

// Get returns the cached value of key, or loads, caches and returns it. When load fails with
// ErrNoCopyTable, create runs once and load is tried again.
func (c *TableCache[T]) Get(ctx context.Context, key string, load func(context.Context) (T, error),
	create func(context.Context) error) (T, error) {
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := load(ctx)
	if errors.Is(err, ErrNoCopyTable) {
		if err = create(ctx); err == nil {
			v, err = load(ctx)
		}
	}
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]T{}
	}
	c.m[key] = v
	c.mu.Unlock()
	return v, nil
}

// Forget drops key ("" drops everything), after DDL or a failed write.
func (c *TableCache[T]) Forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if key == "" {
		c.m = nil
		return
	}
	delete(c.m, key)
}
