package event

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Version layout (docs/design.md section 1):
//
//	bits 63..56  epoch       (8 bits)
//	bits 55..36  file index  (20 bits, the numeric suffix of the binlog file name)
//	bits 35..0   position    (36 bits, event start position + row index within the event)
//
// Invariant: versions strictly increase along the binlog. Inside one file, event i+1 starts at or
// after the end of event i, and an event with n rows is longer than n bytes, so start+row of event i
// stays below the start of event i+1. A rotation increases the file index, an epoch bump the epoch.
// The position is the 64-bit one: binlog event headers hold 32-bit positions, which wrap in a file
// past 4 GiB; the tailer counts the wraps (pkg/canal forward.go), so versions keep increasing up
// to 64 GiB per file and Version refuses beyond. Where coordinates go down (a GTID-mode failover
// to a server with lower file indexes, RESET MASTER, a resync), the epoch is raised instead.
const (
	EpochBits     = 8
	FileIndexBits = 20
	PositionBits  = 36

	// MaxFileIndex is the largest binlog file suffix a version can hold.
	MaxFileIndex = 1<<FileIndexBits - 1
	// MaxPosition is the largest event position + row index a version can hold (64 GiB files).
	MaxPosition = 1<<PositionBits - 1
)

// ErrVersionRange is wrapped when binlog coordinates do not fit the version layout.
var ErrVersionRange = errors.New("binlog coordinates out of version range")

// Version returns the version of row `row` of the event that starts at pos in the binlog file with
// index fileIndex. It fails (never wraps) when a part does not fit its bits.
func Version(epoch uint8, fileIndex uint32, pos uint64, row int) (uint64, error) {
	if fileIndex > MaxFileIndex {
		return 0, fmt.Errorf("%w: file index %d > %d", ErrVersionRange, fileIndex, MaxFileIndex)
	}
	if row < 0 {
		return 0, fmt.Errorf("%w: negative row index %d", ErrVersionRange, row)
	}
	p := pos + uint64(row)
	if pos > MaxPosition || p > MaxPosition {
		return 0, fmt.Errorf("%w: position %d + row %d > %d", ErrVersionRange, pos, row, uint64(MaxPosition))
	}
	return uint64(epoch)<<(FileIndexBits+PositionBits) | uint64(fileIndex)<<PositionBits | p, nil
}

// SnapshotVersion is the version of backfill rows read in a consistent snapshot whose binlog position
// is (fileIndex, pos): one below the version of an event starting there, so every change committed
// after the snapshot wins over the snapshot rows.
func SnapshotVersion(epoch uint8, fileIndex uint32, pos uint64) (uint64, error) {
	v, err := Version(epoch, fileIndex, pos, 0)
	if err != nil {
		return 0, err
	}
	if v == 0 {
		return 0, fmt.Errorf("%w: snapshot at epoch 0, file index 0, position 0 has no version below it", ErrVersionRange)
	}
	return v - 1, nil
}

// SplitVersion returns the parts of v; pos is the event position plus the row index.
func SplitVersion(v uint64) (epoch uint8, fileIndex uint32, pos uint64) {
	return uint8(v >> (FileIndexBits + PositionBits)), uint32(v>>PositionBits) & MaxFileIndex, v & MaxPosition
}

// FileIndex returns the numeric suffix of a binlog file name ("mysql-bin.000042" -> 42).
func FileIndex(name string) (uint32, error) {
	dot := strings.LastIndexByte(name, '.')
	suffix := name[dot+1:]
	if dot < 0 || suffix == "" {
		return 0, fmt.Errorf("binlog file name %q has no numeric suffix (expected like mysql-bin.000001)", name)
	}
	for _, c := range suffix {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("binlog file name %q has a non-numeric suffix", name)
		}
	}
	n, err := strconv.ParseUint(suffix, 10, 32)
	if err != nil || n > MaxFileIndex {
		return 0, fmt.Errorf("%w: binlog file %q index exceeds %d", ErrVersionRange, name, MaxFileIndex)
	}
	return uint32(n), nil
}
