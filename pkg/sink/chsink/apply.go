package chsink

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// Apply inserts the batch: it stages the rows and applies the staged batch, so a batch handed
// over whole and one staged as it arrives are converted and inserted by the same code.
func (s *Sink) Apply(ctx context.Context, b *sink.Batch) error {
	st := s.Stage()
	defer st.Release()
	if err := st.Add(ctx, b.Rows); err != nil {
		return err
	}
	return st.Apply(ctx)
}

// write inserts one group; after a failure the copy shape and the plan are dropped, so the
// next batch re-reads the copy table.
func (s *Sink) write(ctx context.Context, g *stagedGroup) error {
	if err := s.insert(ctx, g); err != nil {
		s.dropPlan(g.table)
		return err
	}
	return nil
}

// dropPlan forgets table t's copy shape and its plan, so the next batch re-reads the copy
// table (after an insert or a conversion the copy refused: it may have changed under the plan).
func (s *Sink) dropPlan(t *sink.Table) {
	s.forget(t.Database, t.Name)
	s.plans.Forget(t)
}

// insert sends a group's block as one native insert.
func (s *Sink) insert(ctx context.Context, g *stagedGroup) error {
	p := g.plan
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	batch, err := s.conn.PrepareBatch(ctx, p.insert)
	if err != nil {
		return fmt.Errorf("prepare insert into %s.%s: %w", p.copy.DB, p.copy.Name, err)
	}
	defer batch.Abort() //nolint:errcheck // no-op after Send
	if err := setColumns(batch, g.blk, p); err != nil {
		return fmt.Errorf("%w (versions %d..%d)", err, g.first, g.last)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert %d rows into %s.%s: %w", g.rows, p.copy.DB, p.copy.Name, err)
	}
	return nil
}

// fillRow converts one row into the block's column buffers.
func fillRow(blk *block, p *plan, r *sink.Row) error {
	for j, ci := range p.cols {
		if err := blk.cols[j].add(r.Values[ci]); err != nil {
			return fmt.Errorf("column %s (version %d): %w", p.names[j], r.Version, err)
		}
	}
	blk.version.Append(r.Version)
	blk.deleted.Append(deletedFlag(r.Op))
	if p.rowKey {
		blk.rowKey = append(blk.rowKey, sink.RowDigest(r.Values))
	}
	return nil
}

// setColumns hands the block's buffers to the batch: native ones (and _version, _deleted) as
// they are, the others through clickhouse-go's columnar Append.
func setColumns(batch driver.Batch, blk *block, p *plan) error {
	native, ok := batch.(clickhouse.NativeColumnSetter)
	if !ok {
		return fmt.Errorf("insert into %s.%s: the ClickHouse connection does not take native columns (it must use the native protocol)", p.copy.DB, p.copy.Name)
	}
	n := len(blk.cols)
	for j, c := range blk.cols {
		var err error
		if nc, ok := c.(clickhouse.NativeColumn); ok {
			err = setNative(native, p, j, p.names[j], p.types[j], nc)
		} else {
			err = appendData(batch, p, j, p.names[j], c.(driverColumn).data())
		}
		if err != nil {
			return err
		}
	}
	if err := setNative(native, p, n, "_version", "UInt64", &blk.version); err != nil {
		return err
	}
	if err := setNative(native, p, n+1, "_deleted", "UInt8", &blk.deleted); err != nil {
		return err
	}
	if p.rowKey {
		return appendData(batch, p, n+2, sink.MetaColumnRowKey, blk.rowKey)
	}
	return nil
}

// setNative sets column j of the batch to nc. A refusal is a mismatch of plan and copy
// table, not a bad row: it halts (and the failed write drops the plan).
func setNative(native clickhouse.NativeColumnSetter, p *plan, j int, name, typ string, nc clickhouse.NativeColumn) error {
	if err := native.SetNativeColumn(j, typ, nc); err != nil {
		return fmt.Errorf("set column %s of %s.%s: %w", name, p.copy.DB, p.copy.Name, err)
	}
	return nil
}

// appendData appends a typed slice to column j of the batch; clickhouse-go refusing a value
// is a bad row.
func appendData(batch driver.Batch, p *plan, j int, name string, data any) error {
	if err := batch.Column(j).Append(data); err != nil {
		return fmt.Errorf("%w: append column %s to %s.%s: %v", sink.ErrBadRow, name, p.copy.DB, p.copy.Name, err)
	}
	return nil
}

func deletedFlag(op sink.Op) uint8 {
	if op == sink.OpDelete {
		return 1
	}
	return 0
}
