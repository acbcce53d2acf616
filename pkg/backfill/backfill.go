package backfill

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// Backfiller publishes snapshot rows of source tables.
type Backfiller struct {
	cfg      Config
	src      *sql.DB
	pub      Publisher
	log      *slog.Logger
	metrics  *Metrics
	progress ProgressFunc
	builder  *Builder
}

// ProgressFunc is told about progress after every chunk (for a progress bar); total is the
// table's estimated row count (information_schema), 0 if unknown.
type ProgressFunc func(table string, rows, total int64, elapsed time.Duration, done bool)

// New returns a Backfiller reading from src (opened with OpenSource) and publishing with pub.
// metrics, log and progress may be nil.
func New(cfg Config, src *sql.DB, pub Publisher, m *Metrics, log *slog.Logger, progress ProgressFunc) (*Backfiller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if progress == nil {
		progress = func(string, int64, int64, time.Duration, bool) {}
	}
	b := &Builder{Epoch: cfg.Epoch, ServerID: cfg.ServerID, MaxRows: cfg.MaxBatchRows, MaxBytes: cfg.MaxBatchBytes}
	return &Backfiller{cfg: cfg, src: src, pub: pub, log: log, metrics: m, progress: progress, builder: b}, nil
}

// Tables expands database names ("shop") to their tables and checks "db.table" names.
func (b *Backfiller) Tables(ctx context.Context, names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		if _, _, err := ParseTableName(n); err == nil {
			out = append(out, n)
			continue
		}
		tables, err := ListTables(ctx, b.src, n)
		if err != nil {
			return nil, err
		}
		if len(tables) == 0 {
			return nil, fmt.Errorf("no tables in source database %q (name tables as db.table or a database)", n)
		}
		for _, t := range tables {
			out = append(out, n+"."+t)
		}
	}
	return out, nil
}

// Table backfills one table ("db.table"), resuming from its checkpoint unless Restart is set.
// It returns the number of rows published by this call.
func (b *Backfiller) Table(ctx context.Context, name string) (int64, error) {
	db, tn, err := ParseTableName(name)
	if err != nil {
		return 0, err
	}
	t, err := LoadTable(ctx, b.src, db, tn)
	if err != nil {
		return 0, err
	}
	cp, err := b.checkpoint(name)
	if err != nil || cp.Done {
		if err == nil {
			b.log.Info("backfill already complete; pass --restart to run it again", "table", name, "rows", cp.Rows)
		}
		return 0, err
	}
	queues, err := b.pub.Queues(ctx)
	if err != nil {
		return 0, fmt.Errorf("backfill %s: %w", name, err)
	}
	b.builder.QueueCount = queues
	total := estimateRows(ctx, b.src, t)
	start, published := time.Now(), int64(0)
	b.log.Info("backfill started", "table", name, "resume_after", cp.Last, "rows_done", cp.Rows, "estimated_rows", total, "chunk_rows", b.cfg.ChunkRows, "epoch", b.cfg.Epoch)
	for !cp.Done {
		n, err := b.chunk(ctx, t, cp)
		if err != nil {
			return published, err
		}
		published += n
		b.progress(name, cp.Rows, total, time.Since(start), cp.Done)
	}
	b.log.Info("backfill complete", "table", name, "rows", cp.Rows, "chunks", cp.Chunks, "seconds", time.Since(start).Seconds())
	return published, nil
}

func (b *Backfiller) checkpoint(name string) (*Checkpoint, error) {
	cp, err := LoadCheckpoint(b.cfg.CheckpointDir, name)
	if err != nil {
		return nil, err
	}
	if b.cfg.Restart || (cp.Epoch != b.cfg.Epoch && cp.StartedAt != (time.Time{})) {
		cp = &Checkpoint{Table: name}
	}
	if cp.StartedAt.IsZero() {
		cp.Epoch, cp.StartedAt = b.cfg.Epoch, time.Now().UTC()
	}
	return cp, nil
}

// chunk reads, publishes and checkpoints one chunk. Invariant: the checkpoint moves past a
// chunk only after Publish acknowledged all of its messages, so a crash republishes at most
// one chunk (harmless: same rows, versions at or below the current ones).
func (b *Backfiller) chunk(ctx context.Context, t *Table, cp *Checkpoint) (int64, error) {
	chunkStart := time.Now()
	ch, err := ReadChunk(ctx, b.src, t, cp.Last, b.cfg.ChunkRows)
	if err != nil {
		return 0, err
	}
	if len(ch.Rows) > 0 {
		version, err := snapshotVersion(b.cfg.Epoch, ch.Position)
		if err != nil {
			return 0, fmt.Errorf("backfill %s: %w", t, err)
		}
		msgs := b.builder.Build(t, event.TypeInsert, ch.Rows, version, ch.Position)
		if err := b.pub.Publish(ctx, msgs); err != nil {
			return 0, fmt.Errorf("publish backfill chunk of %s after key %v (snapshot %s): %w", t, cp.Last, ch.Position, err)
		}
		cp.Last = ch.Last
	}
	cp.Rows += int64(len(ch.Rows))
	cp.Chunks++
	cp.Position = ch.Position.String()
	cp.Done = len(ch.Rows) < b.cfg.ChunkRows
	if err := cp.Save(b.cfg.CheckpointDir); err != nil {
		return 0, err
	}
	b.metrics.chunk(t.String(), len(ch.Rows), time.Since(chunkStart))
	return int64(len(ch.Rows)), nil
}

// snapshotVersion is the version of rows read in a snapshot at pos.
func snapshotVersion(epoch uint8, pos Position) (uint64, error) {
	fi, err := event.FileIndex(pos.File)
	if err != nil {
		return 0, err
	}
	return event.SnapshotVersion(epoch, fi, pos.Pos)
}

// estimateRows returns information_schema's row estimate of t (0 if unknown).
func estimateRows(ctx context.Context, db *sql.DB, t *Table) int64 {
	var n sql.NullInt64
	_ = db.QueryRowContext(ctx, `SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
		t.Database, t.Name).Scan(&n)
	return n.Int64
}
