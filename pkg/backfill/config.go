// Package backfill seeds a copy from a live source without locks held for long (docs/design.md
// section 6): a table is read in primary-key chunks (keyset pagination, composite keys too), each
// chunk in its own consistent-snapshot transaction together with that snapshot's binlog position,
// and its rows are published like the tailer's changes (same topic, queue hashing and keys) as
// snapshot INSERTs whose version is event.SnapshotVersion of that position: just below every change
// committed after the snapshot. With the sinks' last-writer-wins this needs no watermarks: rows
// changed after their chunk was read carry higher versions and win.
//
// Progress is checkpointed per chunk in a file, so an interrupted backfill resumes at the next
// chunk. Resync (new epoch, then backfill, then Sweep of rows from older epochs) and verify's
// repair (Repairer) build on the same chunk reader.
package backfill

import (
	"errors"
	"fmt"
	"time"
)

// Config configures a backfill.
type Config struct {
	// ChunkRows is the number of rows read per consistent-snapshot chunk.
	ChunkRows int `yaml:"chunk-rows"`
	// Epoch is the version epoch of the rows (must equal the tailer's current epoch).
	Epoch uint8 `yaml:"epoch"`
	// ServerID is reported in the messages' ferry.serverId (the source's server id).
	ServerID uint32 `yaml:"server-id"`
	// MaxBatchRows and MaxBatchBytes cap each message.
	MaxBatchRows  int `yaml:"max-batch-rows"`
	MaxBatchBytes int `yaml:"max-batch-bytes"`
	// CheckpointDir holds one checkpoint file per table.
	CheckpointDir string `yaml:"checkpoint-dir"`
	// InFlight is the number of chunks read ahead and published concurrently; checkpoints still
	// advance in key order.
	InFlight int `yaml:"in-flight"`
	// Restart ignores existing checkpoints and starts every table from its first key.
	Restart bool `yaml:"restart"`
	// Progress is how often progress is logged when not on a terminal.
	Progress time.Duration `yaml:"progress-every"`
	// Include, Exclude and ExcludeColumns are the tailer's filters (its config keys of the same
	// names): excluded tables are not backfilled and excluded columns are not published, so the
	// snapshot carries what the stream carries.
	Include        []string `yaml:"include"`
	Exclude        []string `yaml:"exclude"`
	ExcludeColumns []string `yaml:"exclude-columns"`
}

// DefaultConfig returns the defaults: 5,000-row chunks, 3 in flight, epoch 0, messages of at most
// 1,000 rows or 1 MiB, checkpoints in ./ferry-tailer (next to the tailer's own), progress logged
// every 10 s.
func DefaultConfig() Config {
	return Config{ChunkRows: 5000, InFlight: 3, ServerID: 1, MaxBatchRows: 1000, MaxBatchBytes: 1 << 20,
		CheckpointDir: "ferry-tailer", Progress: 10 * time.Second}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch {
	case c.ChunkRows < 1:
		return fmt.Errorf("backfill: chunk-rows is %d; use a positive number such as 5000", c.ChunkRows)
	case c.InFlight < 1:
		return fmt.Errorf("backfill: in-flight is %d; use 1 (strictly sequential) or more", c.InFlight)
	case c.MaxBatchRows < 1 || c.MaxBatchBytes < 1024:
		return errors.New("backfill: max-batch-rows must be >= 1 and max-batch-bytes >= 1024")
	case c.MaxBatchBytes > 4<<20-64<<10:
		return errors.New("backfill: max-batch-bytes must stay below RocketMQ's 4 MiB message limit")
	case c.CheckpointDir == "":
		return errors.New("backfill: checkpoint-dir is required (per-table progress files)")
	case c.Progress <= 0:
		return errors.New("backfill: progress-every must be > 0")
	}
	return nil
}
