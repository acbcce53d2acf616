package sink

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	var shapes Shapes
	for i := range b.Rows {
		r := &b.Rows[i]
		if err := r.CheckWidth(); err != nil {
			return nil, err
		}
		k, isNew := shapes.Index(r.Table)
		if isNew {
			groups = append(groups, &Group{Table: r.Table})
		}
		groups[k].Rows = append(groups[k].Rows, r)
	}
	return groups, nil
}

// CheckWidth rejects a row whose value count does not match its table's columns (ErrBadRow).
func (r *Row) CheckWidth() error {
	if len(r.Values) != len(r.Table.Columns) {
		return fmt.Errorf("%w: row of %s.%s has %d values for %d columns", ErrBadRow, r.Table.Database, r.Table.Name, len(r.Values), len(r.Table.Columns))
	}
	return nil
}

// Shapes numbers table shapes (Table.Key) in the order they are first seen, for grouping rows
// one at a time. Rows decoded from one message share one *Table, so a table is looked up by
// pointer first (and the previous row's table without a map). The zero value is ready to use.
type Shapes struct {
	byPtr map[*Table]int
	byKey map[string]int
	last  *Table
	lastK int
}

// Index returns the number of t's shape, and whether the shape is new: then the number is how
// many shapes were seen before it.
func (s *Shapes) Index(t *Table) (k int, isNew bool) {
	if t == s.last && t != nil {
		return s.lastK, false
	}
	k, ok := s.byPtr[t]
	if !ok {
		if s.byPtr == nil {
			s.byPtr, s.byKey = map[*Table]int{}, map[string]int{}
		}
		key := t.Key()
		if k, ok = s.byKey[key]; !ok {
			k, isNew = len(s.byKey), true
			s.byKey[key] = k
		}
		s.byPtr[t] = k
	}
	s.last, s.lastK = t, k
	return k, isNew
}

// PlanCache holds a sink's write plans (column list, converters, statement text) by source
// table shape: Table.Key and the primary key. A plan is built once for a shape and the state
// C of its copy table (the sink's cached copy shape, compared by ==) and reused while the
// copy is unchanged: when the sink's DDL path or a failed write drops its cached copy shape,
// the next Get sees a different C and builds a new plan. Safe for concurrent use; two callers
// may build the same plan at once and the later one is kept, which is harmless.
type PlanCache[C comparable, P any] struct {
	mu sync.Mutex
	m  map[string]cachedPlan[C, P]
}

type cachedPlan[C comparable, P any] struct {
	copy C
	plan P
}

func planKey(t *Table) string { return t.Key() + "\x01" + strings.Join(t.PK, "\x00") }

// Get returns the plan of t's shape for copy state c, building and caching it when there is
// none for c.
func (pc *PlanCache[C, P]) Get(t *Table, c C, build func() (P, error)) (P, error) {
	key := planKey(t)
	pc.mu.Lock()
	e, ok := pc.m[key]
	pc.mu.Unlock()
	if ok && e.copy == c {
		return e.plan, nil
	}
	p, err := build()
	if err != nil {
		return p, err
	}
	pc.mu.Lock()
	if pc.m == nil {
		pc.m = map[string]cachedPlan[C, P]{}
	}
	pc.m[key] = cachedPlan[C, P]{copy: c, plan: p}
	pc.mu.Unlock()
	return p, nil
}

// For is a sink's planning step for rows of t: it validates t, resolves its copy state with
// copyOf (which may create the copy table) and returns the plan for that state, built with
// build when not cached.
func (pc *PlanCache[C, P]) For(ctx context.Context, t *Table, copyOf func(context.Context, *Table) (C, error),
	build func(*Table, C) (P, error)) (P, error) {
	var zero P
	if err := t.Validate(); err != nil {
		return zero, err
	}
	c, err := copyOf(ctx, t)
	if err != nil {
		return zero, err
	}
	return pc.Get(t, c, func() (P, error) { return build(t, c) })
}

// ForBatch is a sink's planning step for a whole batch: it splits b into groups
// (GroupByTable) and returns each group's plan (For), plans[i] for groups[i].
func (pc *PlanCache[C, P]) ForBatch(ctx context.Context, b *Batch, copyOf func(context.Context, *Table) (C, error),
	build func(*Table, C) (P, error)) ([]*Group, []P, error) {
	groups, err := GroupByTable(b)
	if err != nil {
		return nil, nil, err
	}
	plans := make([]P, len(groups))
	for i, g := range groups {
		if plans[i], err = pc.For(ctx, g.Table, copyOf, build); err != nil {
			return nil, nil, err
		}
	}
	return groups, plans, nil
}

// Cached returns the cached plan of t's shape, whatever copy state it was built for.
func (pc *PlanCache[C, P]) Cached(t *Table) (P, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	e, ok := pc.m[planKey(t)]
	return e.plan, ok
}

// Forget drops the plan of t's shape (after a failed write).
func (pc *PlanCache[C, P]) Forget(t *Table) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	delete(pc.m, planKey(t))
}

// TableCache caches a sink's per-table state (the shape of a copy table) by "copyDB.table".
// It is safe for concurrent use; loads run outside the lock, so two callers may load the same
// table at once and the later result wins, which is harmless for read-only shapes. Creating a
// missing table is serialised (creating runs more than one statement, e.g. ClickHouse drops and
// recreates the view, and two creators at once could fail on each other's view).
type TableCache[T any] struct {
	mu       sync.Mutex
	m        map[string]T
	createMu sync.Mutex // held while a missing table is created
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
		v, err = c.create(ctx, load, create)
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

// create creates a missing table, unless another caller did while this one waited, and loads it.
func (c *TableCache[T]) create(ctx context.Context, load func(context.Context) (T, error), create func(context.Context) error) (T, error) {
	c.createMu.Lock()
	defer c.createMu.Unlock()
	v, err := load(ctx)
	if !errors.Is(err, ErrNoCopyTable) {
		return v, err
	}
	if err := create(ctx); err != nil {
		return v, err
	}
	return load(ctx)
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
