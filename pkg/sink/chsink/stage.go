package chsink

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// maxParallelInserts bounds the tables of one batch inserted at once (the pool has 8
// connections; batches of several replayers may be applied concurrently).
const maxParallelInserts = 4

var _ sink.Stager = (*Sink)(nil)

// Stage returns an empty staged batch (sink.Stager): rows are converted into their tables'
// column blocks as they are added, so a batch that waits for its flush holds typed columns,
// not the rows and the message text they point into.
func (s *Sink) Stage() sink.Staged { return &staged{s: s} }

// staged is one batch being converted; not safe for concurrent use.
type staged struct {
	s      *Sink
	shapes sink.Shapes    // equal table shapes share one group, as in sink.GroupByTable
	groups []*stagedGroup // by shape number: in the order of their first row
	err    error          // the first error of Add: the batch is failed
}

// stagedGroup is the converted rows of one table shape: its plan and block.
type stagedGroup struct {
	table       *sink.Table
	plan        *plan
	blk         *block
	rows        int
	first, last uint64 // versions of the first and the last row, for errors
}

// Add converts rows into their groups' blocks. After an error the batch is failed: Add does
// nothing more and Apply returns the error (a block may hold part of the bad row).
func (st *staged) Add(ctx context.Context, rows []sink.Row) error {
	if st.err != nil {
		return st.err
	}
	for i := range rows {
		if err := st.add(ctx, &rows[i]); err != nil {
			st.err = err
			return err
		}
	}
	return nil
}

func (st *staged) add(ctx context.Context, r *sink.Row) error {
	if err := r.CheckWidth(); err != nil {
		return err
	}
	t := r.Table
	g, err := st.groupOf(ctx, t)
	if err != nil {
		return err
	}
	if err := fillRow(g.blk, g.plan, r); err != nil {
		st.s.dropPlan(t) // as after a failed insert
		return fmt.Errorf("%s.%s %w", t.Database, t.Name, err)
	}
	if g.rows == 0 {
		g.first = r.Version
	}
	g.last = r.Version
	g.rows++
	return nil
}

// groupOf returns the group of rows of table t's shape, planning it on its first row. A
// planning error fails the batch (Add), so no later row looks for the missing group.
func (st *staged) groupOf(ctx context.Context, t *sink.Table) (*stagedGroup, error) {
	k, isNew := st.shapes.Index(t)
	if !isNew {
		return st.groups[k], nil
	}
	p, err := st.s.plans.For(ctx, t, st.s.table, buildPlan)
	if err != nil {
		return nil, err
	}
	g := &stagedGroup{table: t, plan: p, blk: p.getBlock()}
	st.groups = append(st.groups, g)
	return g, nil
}

// Apply inserts the batch, one native columnar block per table shape, tables in parallel.
// Rows of the same key are all kept; ReplacingMergeTree keeps the highest _version when parts
// merge and FINAL reads that, so the order of tables and rows does not matter. An error may
// leave some groups inserted; re-applying is harmless.
func (st *staged) Apply(ctx context.Context) error {
	if st.err != nil {
		return st.err
	}
	if len(st.groups) == 1 {
		return st.s.write(ctx, st.groups[0])
	}
	errs := make([]error, len(st.groups))
	sem := make(chan struct{}, maxParallelInserts)
	var wg sync.WaitGroup
	for i, g := range st.groups {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = st.s.write(ctx, g)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Release empties the blocks and hands them back to their plans for the next batch.
func (st *staged) Release() {
	for _, g := range st.groups {
		g.plan.putBlock(g.blk)
	}
	st.groups = nil
}
