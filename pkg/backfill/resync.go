package backfill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ferry-cdc/ferry/pkg/canal"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
)

// ErrEpochExhausted is returned when the epoch cannot be increased any further.
var ErrEpochExhausted = errors.New("version epoch 255 reached")

// ResyncCheckpoint prepares the tailer (config cfg, stopped) for a resync after a purged binlog
// or a failover: it moves the checkpoint in cfg.DataDir to the source's current head (file,
// position and GTID set) with a new epoch, epoch < 0 meaning the previous checkpoint's epoch + 1.
// Versions of the new epoch are above every version written before, so the new stream and the
// backfill that must follow always win over rows the copies hold. It returns the new state.
//
// The full procedure (docs/operations-backfill-verify.md): stop the tailer, ResyncCheckpoint,
// start the tailer, backfill every table with the new epoch, wait until the replayers applied the
// backfill, then Sweep each copy with the new epoch (removes rows deleted while no binlog was
// read) and verify.
func ResyncCheckpoint(ctx context.Context, cfg *canal.Config, epoch int) (checkpoint.State, error) {
	prev, err := checkpoint.Load(cfg.DataDir)
	if err != nil {
		prev = nil // a broken checkpoint is what resync repairs; the epoch must then be given
	}
	if epoch < 0 {
		if prev == nil {
			return checkpoint.State{}, fmt.Errorf("no readable checkpoint in %s to derive the new epoch from: pass --epoch (1 + the epoch the copies hold)", cfg.DataDir)
		}
		if prev.Epoch == 255 {
			return checkpoint.State{}, fmt.Errorf("%w: re-create the copies from scratch", ErrEpochExhausted)
		}
		epoch = int(prev.Epoch) + 1
	}
	if epoch > 255 || (prev != nil && epoch <= int(prev.Epoch)) {
		return checkpoint.State{}, fmt.Errorf("new epoch %d must be above the checkpoint's %d and at most 255", epoch, prev.Epoch)
	}
	hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	head, err := canal.SourceHead(hctx, cfg)
	if err != nil {
		return checkpoint.State{}, err
	}
	target := checkpoint.State{File: head.File, Pos: head.Pos, Epoch: uint8(epoch)}
	if cfg.UseGTID {
		target.GTID = head.GTID
	}
	if _, err := canal.Resync(cfg, target); err != nil {
		return checkpoint.State{}, err
	}
	return target, nil
}
