package chsink

import "context"

// DDLApplied reports whether DDL version was already handled in the copy of sourceDB (a
// row in its _ferry_ddl_applied table). The replayer's DDL barrier asks it so that a queue
// carrying an old copy of a version does not wait for queues that passed it long ago.
func (s *Sink) DDLApplied(ctx context.Context, sourceDB string, version uint64) (bool, error) {
	if err := s.ensureDDLTable(ctx, sourceDB); err != nil {
		return false, err
	}
	return s.ddlApplied(ctx, s.copyDB(sourceDB), version)
}
