package backfill

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Checkpoint is the durable progress of one table's backfill: the key of the last row whose
// chunk was published (acknowledged), so an interrupted backfill resumes with the next chunk.
type Checkpoint struct {
	Table     string    `json:"table"`
	Epoch     uint8     `json:"epoch"`
	Last      []string  `json:"last,omitempty"` // primary key of the last published row
	Rows      int64     `json:"rows"`           // rows published so far
	Chunks    int64     `json:"chunks"`
	Position  string    `json:"position"` // binlog position of the last chunk's snapshot
	Done      bool      `json:"done"`
	StartedAt time.Time `json:"startedAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// checkpointPath is the file of table in dir.
func checkpointPath(dir, table string) string {
	return filepath.Join(dir, "backfill-"+table+".json")
}

// LoadCheckpoint reads table's checkpoint from dir; a missing file gives an empty checkpoint.
func LoadCheckpoint(dir, table string) (*Checkpoint, error) {
	raw, err := os.ReadFile(checkpointPath(dir, table))
	if errors.Is(err, os.ErrNotExist) {
		return &Checkpoint{Table: table}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read backfill checkpoint: %w", err)
	}
	var cp Checkpoint
	if err := json.Unmarshal(raw, &cp); err != nil {
		return nil, fmt.Errorf("parse backfill checkpoint %s: %w (delete it to restart the table's backfill)", checkpointPath(dir, table), err)
	}
	if cp.Table != table {
		return nil, fmt.Errorf("backfill checkpoint %s belongs to %q, not %q", checkpointPath(dir, table), cp.Table, table)
	}
	return &cp, nil
}

// Save writes the checkpoint atomically (temporary file, fsync, rename, fsync of the directory).
func (cp *Checkpoint) Save(dir string) error {
	cp.UpdatedAt = time.Now().UTC()
	raw, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return fmt.Errorf("encode backfill checkpoint: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create checkpoint dir: %w", err)
	}
	path := checkpointPath(dir, cp.Table)
	f, err := os.CreateTemp(dir, ".backfill-*.tmp")
	if err != nil {
		return fmt.Errorf("write backfill checkpoint: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return fmt.Errorf("write backfill checkpoint: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync backfill checkpoint: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write backfill checkpoint: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("install backfill checkpoint: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() //nolint:errcheck // best effort: the rename is already visible
		d.Close()
	}
	return nil
}
