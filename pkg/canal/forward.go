package canal

import (
	"fmt"
	"math"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
)

// Versions never go backwards (docs/design.md section 1, issue 15 item 6). Two things could make them:
//
//   - Binlog event headers hold 32-bit end positions, which wrap in a binlog file past 4 GiB (one
//     huge transaction can make one). posWidener carries the wraps into the version's 36-bit
//     position field (files up to 64 GiB; past that event.Version refuses).
//   - Coordinates below the resume point: in GTID mode a reconnect after a failover follows the new
//     server's own file names, whose index can be lower (also after RESET MASTER). forward raises
//     the epoch then (the GTID set proves the stream is continuous, so no backfill is needed); in
//     file/position mode it stops the tailer, since the stream cannot be trusted.

// posWidener turns the 32-bit end positions of one binlog file's event headers into 64-bit ones.
type posWidener struct {
	high uint64 // wraps seen so far, as a multiple of 1<<32
	last uint32 // the last 32-bit end position
}

// reset starts a file (or a connection) at the 64-bit position pos.
func (w *posWidener) reset(pos uint64) { w.high, w.last = pos&^math.MaxUint32, uint32(pos) }

// end returns the 64-bit end position of an event whose header says logPos. A drop of more than
// 2 GiB is a wrap; smaller drops (artificial events) are not.
func (w *posWidener) end(logPos uint32) uint64 {
	if logPos < w.last && w.last-logPos > 1<<31 {
		w.high += 1 << 32
	}
	w.last = logPos
	return w.high | uint64(logPos)
}

// setFloor records the resume point of a connection: every version after it must be at or above
// its version.
func (t *Tailer) setFloor(from checkpoint.State) {
	t.floor = 0
	if idx, err := event.FileIndex(from.File); err == nil {
		if v, err := event.Version(from.Epoch, idx, from.Pos, 0); err == nil {
			t.floor = v
		}
	}
}

// forward checks that an event starting at start in the current file gets versions at or above
// the resume point. Below it, GTID mode moves to the next epoch and file/position mode stops.
func (t *Tailer) forward(start uint64) error {
	v, err := event.Version(t.epoch, t.fileIdx, start, 0)
	if err != nil || v >= t.floor {
		return nil // a range error is reported where the version is made
	}
	at := fmt.Sprintf("%s:%d", t.file, start)
	if !t.cfg.UseGTID {
		return fmt.Errorf("%w: the binlog at %s is before the resume point (epoch %d): the source's binlog was reset or replaced; "+
			"run binlog-tailer resync (it moves to epoch %d) and backfill, or enable gtid mode", ErrVersionsBackwards, at, t.epoch, t.epoch+1)
	}
	if t.epoch == math.MaxUint8 {
		return fmt.Errorf("%w: the binlog at %s is before the resume point and epoch 255 is the last one: re-create the copies", ErrVersionsBackwards, at)
	}
	t.epoch++
	t.log.Warn("binlog coordinates went below the resume point (failover or RESET MASTER in GTID mode): moved to the next epoch",
		"binlog_file", t.file, "binlog_pos", start, "epoch", t.epoch)
	return nil
}

// checkResumable refuses a file/position start past 4 GiB, which the binlog dump protocol cannot
// express (its position is 32 bits).
func checkResumable(cfg *Config, from checkpoint.State) error {
	if cfg.UseGTID && from.GTID != "" || from.Pos <= math.MaxUint32 {
		return nil
	}
	return fmt.Errorf("%w: the checkpoint %s:%d is past 4 GiB, where a file/position dump cannot start: enable gtid mode (gtid: true) and resync with --from-gtid",
		ErrConfig, from.File, from.Pos)
}
