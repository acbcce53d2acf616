// Package checkpoint stores the binlog tailer's durable position: a small JSON file written
// atomically (write a temporary file, fsync, rename, fsync the directory), and an exclusive lock
// file (flock) so only one tailer works on a data directory at a time.
package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// FileName is the checkpoint file inside the data directory.
const FileName = "checkpoint.json"

// LockName is the lock file inside the data directory.
const LockName = "tailer.lock"

// ErrLocked means another process holds the data directory's lock.
var ErrLocked = errors.New("data directory is locked by a running tailer")

// State is a position in the source's binlog at a transaction boundary: every change before it has
// been published and acknowledged by the broker.
type State struct {
	File      string    `json:"file"`           // binlog file to resume from
	Pos       uint64    `json:"pos"`            // position in File (start of the next event)
	GTID      string    `json:"gtid,omitempty"` // executed GTID set at this boundary
	Epoch     uint8     `json:"epoch"`          // version epoch
	ServerID  uint32    `json:"serverId"`       // source server id that wrote the boundary event
	UpdatedAt time.Time `json:"updatedAt"`      // when the tailer last confirmed this position (heartbeats refresh it)
}

// Load reads the checkpoint in dir. It returns (nil, nil) when there is none yet.
func Load(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse checkpoint %s: %w (fix or remove the file and run binlog-tailer resync)", filepath.Join(dir, FileName), err)
	}
	if s.File == "" && s.GTID == "" {
		return nil, fmt.Errorf("checkpoint %s has neither file nor gtid; run binlog-tailer resync", filepath.Join(dir, FileName))
	}
	return &s, nil
}

// Save writes s atomically: after Save returns, a crash leaves either the old or the new state.
func Save(dir string, s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	tmp, err := os.CreateTemp(dir, FileName+".tmp*")
	if err != nil {
		return fmt.Errorf("create checkpoint temp file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("fsync checkpoint: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close checkpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, FileName)); err != nil {
		return fmt.Errorf("rename checkpoint: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open checkpoint dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync checkpoint dir: %w", err)
	}
	return nil
}

// Lock is an exclusive flock on the data directory's lock file.
type Lock struct{ f *os.File }

// Acquire creates dir if needed and takes its lock without waiting; ErrLocked if it is held.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, LockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s (stop the other binlog-tailer first)", ErrLocked, dir)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
	return &Lock{f: f}, nil
}

// Release drops the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return err
}
