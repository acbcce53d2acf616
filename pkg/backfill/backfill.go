package backfill

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/source"
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
			if !b.cfg.filtered(n, t) {
				b.log.Info("table excluded by the tailer's filters; not backfilled", "table", n+"."+t)
				continue
			}
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
	t, err := b.loadTable(ctx, db, tn)
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
	start := time.Now()
	b.log.Info("backfill started", "table", name, "resume_after", cp.Last, "rows_done", cp.Rows, "estimated_rows", total, "chunk_rows", b.cfg.ChunkRows, "epoch", b.cfg.Epoch)
	published, err := b.pipeline(ctx, t, cp, func() { b.progress(name, cp.Rows, total, time.Since(start), cp.Done) })
	if err != nil {
		return published, err
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

// job is one chunk on its way: read, being published.
type job struct {
	ch    *Chunk
	err   chan error // Publish's result (or the read error)
	start time.Time
}

// pipeline reads chunks ahead while earlier chunks are being published, with at most InFlight
// chunks read but not yet acknowledged, and checkpoints them strictly in key order.
//
// Invariant: the checkpoint moves past a chunk only after Publish acknowledged all of its
// messages and those of every earlier chunk, so a crash republishes at most InFlight chunks
// (harmless: same rows, versions at or below the current ones).
func (b *Backfiller) pipeline(parent context.Context, t *Table, cp *Checkpoint, progress func()) (int64, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	jobs := make(chan *job, max(b.cfg.InFlight-1, 0))
	go b.readAhead(ctx, t, cp.Last, jobs)
	var published int64
	var firstErr error
	for j := range jobs {
		err := <-j.err
		if err != nil && firstErr == nil {
			firstErr = err
			cancel() // stop reading; drain the in-flight publishes
		}
		if firstErr != nil {
			continue
		}
		if len(j.ch.Rows) > 0 {
			cp.Last = j.ch.Last
		}
		cp.Rows += int64(len(j.ch.Rows))
		cp.Chunks++
		cp.Position = j.ch.Position.String()
		cp.Done = len(j.ch.Rows) < b.cfg.ChunkRows
		if err := cp.Save(b.cfg.CheckpointDir); err != nil {
			firstErr = err
			cancel()
			continue
		}
		published += int64(len(j.ch.Rows))
		b.metrics.chunk(t.String(), len(j.ch.Rows), time.Since(j.start))
		progress()
	}
	// A cancelled caller is an interruption, never a completed backfill: readAhead may stop
	// without an error of its own between two chunks, and a query cut off mid-read fails with
	// the driver's "bad connection" rather than the context's error.
	if !cp.Done && (firstErr == nil || parent.Err() != nil) {
		cause := ""
		if firstErr != nil {
			cause = " (then: " + firstErr.Error() + ")"
		}
		firstErr = fmt.Errorf("backfill of %s interrupted after %d rows; running it again resumes from the checkpoint: %w%s",
			t, cp.Rows, cmp.Or(parent.Err(), errStoppedEarly), cause)
	}
	return published, firstErr
}

// errStoppedEarly is reported if reading stopped early with no error and no cancellation.
var errStoppedEarly = errors.New("the chunk reader stopped before the last chunk")

// readAhead reads chunks after `after` and starts publishing each; it sends the jobs in order
// and closes jobs after the last chunk or the first error.
func (b *Backfiller) readAhead(ctx context.Context, t *Table, after []string, jobs chan<- *job) {
	defer close(jobs)
	for {
		j := &job{err: make(chan error, 1), start: time.Now()}
		ch, err := ReadChunk(ctx, b.src, t, after, b.cfg.ChunkRows)
		b.log.Debug("chunk read", "table", t.String(), "rows", len(chunkRows(ch)), "ms", time.Since(j.start).Milliseconds())
		if err != nil {
			j.err <- err
			jobs <- j
			return
		}
		j.ch = ch
		prev := after // the loop moves `after` on; the publish goroutine keeps its own
		go func() { j.err <- b.publishChunk(ctx, t, ch, prev) }()
		select {
		case jobs <- j:
		case <-ctx.Done():
			// the consumer stopped; let the publish finish on its own (ctx is cancelled)
			return
		}
		if len(ch.Rows) < b.cfg.ChunkRows {
			return
		}
		after = ch.Last
	}
}

// publishChunk publishes the rows of one chunk with the chunk's snapshot version.
func (b *Backfiller) publishChunk(ctx context.Context, t *Table, ch *Chunk, after []string) error {
	if len(ch.Rows) == 0 {
		return nil
	}
	version, err := snapshotVersion(b.cfg.Epoch, ch.Position)
	if err != nil {
		return fmt.Errorf("backfill %s: %w", t, err)
	}
	start := time.Now()
	msgs := b.builder.Build(t, event.TypeInsert, ch.Rows, version, ch.Position)
	if err := b.pub.Publish(ctx, msgs); err != nil {
		return fmt.Errorf("publish backfill chunk of %s after key %v (snapshot %s): %w", t, after, ch.Position, err)
	}
	b.log.Debug("chunk published", "table", t.String(), "rows", len(ch.Rows), "messages", len(msgs), "ms", time.Since(start).Milliseconds())
	return nil
}

func chunkRows(ch *Chunk) [][]*string {
	if ch == nil {
		return nil
	}
	return ch.Rows
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
	return source.EstimateRows(ctx, db, t.Database, t.Name)
}
