package mysqlsink

import (
	"context"
	"errors"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// rowKeyedAlter halts an ALTER TABLE that adds, drops or retypes columns of a copy keyed by row
// digest (source table without a primary key): every row's key would change, and later deletes
// would miss the rows they delete. RENAME COLUMN keeps the keys (the digest is over the values
// only) and is applied.
func (s *Sink) rowKeyedAlter(ctx context.Context, p *ddlPlan, d *sink.DDL) error {
	if !p.columnsChanged || p.altered[1] == "" {
		return nil
	}
	copyDB := s.copyDB(p.altered[0])
	ct, err := s.loadTable(ctx, copyDB, p.altered[1])
	if errors.Is(err, sink.ErrNoCopyTable) {
		return nil // renamed by an earlier partial run, or handled by missingAlterTable
	}
	if err != nil {
		return err
	}
	if ct.RowKey {
		return &sink.HaltError{DDL: *d, Reason: sink.RowKeyedAlterReason(copyDB, p.altered[1])}
	}
	return nil
}
