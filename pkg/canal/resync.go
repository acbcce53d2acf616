package canal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/source"
)

// ErrVersionsBackwards is wrapped when a resync would make versions go backwards: the copies
// would then reject every later change as older than what they hold.
var ErrVersionsBackwards = errors.New("versions would go backwards")

// Resync replaces the checkpoint in cfg.DataDir with target. It refuses while a tailer holds the
// data directory's lock (checkpoint.ErrLocked), and refuses a target whose versions could be
// below the checkpoint's (ErrVersionsBackwards, see CheckResyncEpoch). It returns the previous
// checkpoint (nil if none).
func Resync(cfg *Config, target checkpoint.State) (*checkpoint.State, error) {
	if target.File == "" && target.GTID == "" {
		return nil, fmt.Errorf("%w: resync needs --from-file/--from-pos, --from-gtid or --from-time", ErrConfig)
	}
	if target.File != "" {
		if _, err := event.FileIndex(target.File); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	lock, err := checkpoint.Acquire(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("resync: %w", err)
	}
	defer lock.Release()
	prev, err := checkpoint.Load(cfg.DataDir)
	if err != nil {
		prev = nil // a broken checkpoint is exactly what resync repairs
	}
	if err := CheckResyncEpoch(prev, target); err != nil {
		return prev, err
	}
	if target.Pos < 4 {
		target.Pos = 4
	}
	target.UpdatedAt = time.Now()
	if err := checkpoint.Save(cfg.DataDir, target); err != nil {
		return prev, fmt.Errorf("resync: %w", err)
	}
	return prev, nil
}

// NextEpoch is the default epoch of a resync: one above the checkpoint's (a resync moves to other
// binlog coordinates, possibly on another server, so the old epoch could make versions go
// backwards), or first without a checkpoint.
func NextEpoch(prev *checkpoint.State, first uint8) (uint8, error) {
	if prev == nil {
		return first, nil
	}
	if prev.Epoch == 255 {
		return 0, fmt.Errorf("%w: the checkpoint's epoch is 255, the last one: re-create the copies from scratch (new copy databases, backfill) and start at epoch 0", ErrVersionsBackwards)
	}
	return prev.Epoch + 1, nil
}

// CheckResyncEpoch accepts a resync from checkpoint prev (nil: none) to target when every version
// after it is above every version before it: a higher epoch, or the same epoch moving forward in
// the same binlog file sequence (target at or after prev). A lower epoch, or the same epoch at an
// earlier or unknown position (a failover's new server, RESET MASTER, a GTID-only target), is
// refused: the copies would drop every change as older than what they hold.
func CheckResyncEpoch(prev *checkpoint.State, target checkpoint.State) error {
	switch {
	case prev == nil || target.Epoch > prev.Epoch:
		return nil
	case target.Epoch < prev.Epoch:
		return fmt.Errorf("%w: epoch %d is below the checkpoint's %d; use --epoch %d (the default)",
			ErrVersionsBackwards, target.Epoch, prev.Epoch, prev.Epoch+1)
	}
	ti, terr := event.FileIndex(target.File)
	pi, perr := event.FileIndex(prev.File)
	if terr == nil && perr == nil && (ti > pi || (ti == pi && target.Pos >= prev.Pos)) {
		return nil
	}
	return fmt.Errorf("%w: %s:%d in the checkpoint's epoch %d is not after the checkpoint %s:%d; leave --epoch out (it defaults to %d)",
		ErrVersionsBackwards, target.File, target.Pos, prev.Epoch, prev.File, prev.Pos, prev.Epoch+1)
}

// BinlogFiles lists the source's binlog files (SHOW BINARY LOGS), oldest first.
func BinlogFiles(ctx context.Context, cfg *Config) ([]string, error) {
	db, err := OpenSource(cfg)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	files, err := source.BinlogFiles(ctx, db)
	if err != nil {
		_, cerr := classify(err, cfg, "SHOW BINARY LOGS")
		return nil, cerr
	}
	return files, nil
}

// FileStartTime returns the creation time of a binlog file: the timestamp of its format
// description event (the first event with a non-zero timestamp).
func FileStartTime(ctx context.Context, cfg *Config, file string) (time.Time, error) {
	t := &Tailer{cfg: *cfg, log: slog.New(slog.DiscardHandler)}
	sc, err := t.syncerConfig()
	if err != nil {
		return time.Time{}, err
	}
	sc.ServerID = cfg.ServerID + 1 // a short-lived reader must not kick out a running tailer
	syncer := replication.NewBinlogSyncer(sc)
	defer syncer.Close()
	s, err := syncer.StartSync(mysql.Position{Name: file, Pos: 4})
	if err != nil {
		return time.Time{}, fmt.Errorf("read %s: %w", file, err)
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		e, err := s.GetEvent(rctx)
		if err != nil {
			return time.Time{}, fmt.Errorf("read first event of %s: %w", file, err)
		}
		if e.Header.Timestamp != 0 {
			return time.Unix(int64(e.Header.Timestamp), 0), nil
		}
	}
}

// FileForTime returns the newest binlog file created at or before at (the file that holds the
// first transaction at or after at, starting from its beginning). It fails if at predates every
// file (the changes are purged: backfill instead).
func FileForTime(ctx context.Context, cfg *Config, at time.Time) (string, error) {
	files, err := BinlogFiles(ctx, cfg)
	if err != nil {
		return "", err
	}
	found := ""
	for _, f := range files {
		ts, err := FileStartTime(ctx, cfg, f)
		if err != nil {
			return "", err
		}
		if ts.After(at) {
			break
		}
		found = f
	}
	if found == "" {
		return "", fmt.Errorf("%w: no binlog file starts at or before %s (oldest is purged): resync from the oldest file and backfill every table",
			ErrPurged, at.Format(time.RFC3339))
	}
	return found, nil
}
