package mysqlsink

import (
	"context"
	"fmt"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// DDLApplied reports whether DDL version was already handled in the copy of sourceDB (a
// row in its _ferry_ddl_applied table). The replayer's DDL barrier asks it so that a queue
// carrying an old copy of a version does not wait for queues that passed it long ago.
func (s *Sink) DDLApplied(ctx context.Context, sourceDB string, version uint64) (bool, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("check applied ddl: %w", err)
	}
	defer conn.Close()
	copyDB := s.copyDB(sourceDB)
	if err := ensureDDLTable(ctx, conn, copyDB); err != nil {
		return false, err
	}
	var seen int
	err = conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quote(copyDB)+"."+quote(sink.DDLAppliedTable)+" WHERE version = ?", version).Scan(&seen)
	if err != nil {
		return false, fmt.Errorf("read applied ddl versions: %w", err)
	}
	return seen > 0, nil
}
