package mysqlsink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
)

// sweepBatch is the number of rows one sweep statement tombstones (short row locks).
const sweepBatch = 5000

// errSweepVersion refuses the version of a sweep for epoch 0 (backfill.SweepVersion(0)), which
// has no epoch before it.
var errSweepVersion = errors.New("sweep needs the resync's new epoch (>= 1); epoch 0 has nothing before it")

// Sweep tombstones the live rows of copy table copyDB.table whose version is below version
// (backfill.SweepVersion of a resync's new epoch): after the resync's backfill was applied,
// these are exactly the rows deleted from the source while no binlog was read. The tombstones
// carry version, so a backfill row applied later still wins: running the sweep too early hides
// rows only until their backfill row arrives. It works in batches of sweepBatch rows and
// returns the number of rows tombstoned.
func Sweep(ctx context.Context, db *sql.DB, copyDB, table string, version uint64) (int64, error) {
	if version == math.MaxUint64 {
		return 0, errSweepVersion
	}
	q := fmt.Sprintf("UPDATE %s.%s SET %s = 1, %s = ? WHERE %s < ? AND %s = 0 LIMIT %d",
		quote(copyDB), quote(table), deletedCol, versionCol, versionCol, deletedCol, sweepBatch)
	var total int64
	for {
		res, err := db.ExecContext(ctx, q, version, version)
		if err != nil {
			return total, fmt.Errorf("sweep %s.%s: %w", copyDB, table, err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < sweepBatch {
			return total, nil
		}
	}
}
