package backfill

import "github.com/ferry-cdc/ferry/pkg/event"

// SweepVersion is the version of the tombstones a sweep for epoch writes: just below every
// version of the epoch (epoch<<56), above every version of earlier epochs. The copy engines
// sweep (mysqlsink.Sweep, chsink.Sweep): after a resync's backfill with that epoch was applied,
// they tombstone the live copy rows whose version is below it.
func SweepVersion(epoch uint8) uint64 {
	return uint64(epoch)<<(event.FileIndexBits+event.PositionBits) - 1
}
