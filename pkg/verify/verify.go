package verify

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/ferry-cdc/ferry/pkg/source"
)

// DiffKind says how a key differs between source and copy.
type DiffKind string

// Kinds of differences.
const (
	Missing DiffKind = "missing" // live at the source, absent or a tombstone in the copy
	Extra   DiffKind = "extra"   // live in the copy, absent at the source
	Changed DiffKind = "changed" // live on both sides with different column values
)

// KeyDiff is one differing primary key, values in key column order (canonical text).
type KeyDiff struct {
	Key  []string
	Kind DiffKind
}

// TableResult is the outcome of verifying one table against one copy.
type TableResult struct {
	Table            TableRef
	Sink             string
	PK               []string
	SourceRows       int64 // live source rows compared
	CopyRows         int64 // live copy rows compared
	Chunks           int
	MismatchedChunks int
	Diffs            []KeyDiff // keys still differing after the re-checks (and repair, if any)
	Repaired         int       // keys re-snapshotted by repair
	Truncated        bool      // more than MaxDiffKeys keys differed; Diffs holds the first ones
	Duration         time.Duration
}

// OK reports whether the copy matched the source.
func (r *TableResult) OK() bool { return len(r.Diffs) == 0 && !r.Truncated }

// Repairer re-snapshots keys from the source into the copy (normally through backfill).
type Repairer interface {
	// Repair republishes the current source rows of keys (values in primary key order, in the
	// change-event encoding); keys the source no longer has are published as deletes.
	Repair(ctx context.Context, table TableRef, keys [][]string) error
}

// Verifier compares source tables with one copy.
type Verifier struct {
	cfg      Config
	source   *sql.DB
	copy     Copy
	log      *slog.Logger
	metrics  *Metrics
	repairer Repairer
}

// New returns a Verifier. source must run sessions with time_zone '+00:00'; metrics and log may
// be nil; repairer nil disables repair.
func New(cfg Config, source *sql.DB, cp Copy, repairer Repairer, m *Metrics, log *slog.Logger) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Verifier{cfg: cfg, source: source, copy: cp, log: log, metrics: m, repairer: repairer}, nil
}

// Tables expands database names ("shop") to their tables and parses "db.table" names.
func (v *Verifier) Tables(ctx context.Context, names []string) ([]TableRef, error) {
	var out []TableRef
	for _, n := range names {
		if ref, err := ParseTableRef(n); err == nil {
			out = append(out, ref)
			continue
		}
		refs, err := listTables(ctx, v.source, n)
		if err != nil {
			return nil, err
		}
		if len(refs) == 0 {
			return nil, fmt.Errorf("no tables in source database %q (name tables as db.table or a database)", n)
		}
		out = append(out, refs...)
	}
	return out, nil
}

// Table verifies one table and, with a Repairer, repairs what differs.
func (v *Verifier) Table(ctx context.Context, ref TableRef) (*TableResult, error) {
	start := time.Now()
	ts, err := loadSourceSchema(ctx, v.source, ref)
	if err != nil {
		return nil, err
	}
	ts.dropColumns(v.cfg.ExcludeColumns)
	cp, cols, err := openCopy(ctx, v.copy, ts)
	if err != nil {
		return nil, err
	}
	if len(ts.PK) == 0 {
		return v.tableAsSet(ctx, ts, cp, cols, start) // rowset.go
	}
	keyCols := keyColumns(ts, cols)
	run := &tableRun{v: v, src: source.NewReader(v.source, ref.Database, ref.Name, cols, keyCols, ""), cp: cp, keyCols: keyCols,
		res: &TableResult{Table: ref, Sink: v.copy.Name(), PK: ts.PK}}
	if err := run.chunks(ctx); err != nil {
		return nil, err
	}
	if err := run.recheck(ctx, v.cfg.Retries); err != nil {
		return nil, err
	}
	if v.repairer != nil && len(run.res.Diffs) > 0 {
		if err := run.repair(ctx); err != nil {
			return nil, err
		}
	}
	if err := run.recount(ctx); err != nil {
		return nil, err
	}
	run.res.Duration = time.Since(start)
	sort.Slice(run.res.Diffs, func(i, j int) bool { return lessKey(run.res.Diffs[i].Key, run.res.Diffs[j].Key) })
	v.metrics.observe(run.res)
	v.log.Info("verified table", "table", ref.String(), "sink", run.res.Sink, "source_rows", run.res.SourceRows,
		"copy_rows", run.res.CopyRows, "chunks", run.res.Chunks, "mismatched_chunks", run.res.MismatchedChunks,
		"differing_keys", len(run.res.Diffs), "seconds", run.res.Duration.Seconds())
	return run.res, nil
}

// tableRun is the state of verifying one table.
type tableRun struct {
	v       *Verifier
	src     *source.Reader
	cp      Side
	keyCols []column // canonical key columns, in key order

	mu       sync.Mutex
	res      *TableResult
	diffs    map[string]KeyDiff
	mismatch []chunkSums // chunks whose first-pass checksums differed
}

// chunkSums is a chunk with its first-pass checksums.
type chunkSums struct {
	r    keyRange
	s, c checksum
}

// chunks walks the source key in ChunkRows steps and compares the chunks, Parallel at a time.
func (t *tableRun) chunks(ctx context.Context) error {
	t.diffs = map[string]KeyDiff{}
	g, gctx := newGroup(ctx, t.v.cfg.Parallel)
	var lo key
	for {
		hi, more, err := t.src.Boundary(gctx, keyRange{Lo: lo}, int64(t.v.cfg.ChunkRows))
		if err != nil {
			_ = g.Wait()
			return err
		}
		r := keyRange{Lo: lo}
		if more {
			r.Hi = hi
		}
		g.Go(func() error { return t.compareChunk(gctx, r) })
		if !more || gctx.Err() != nil {
			break
		}
		lo = hi
	}
	if err := g.Wait(); err != nil {
		return err
	}
	t.res.Diffs = t.diffList()
	return nil
}

// recount recomputes the row counts of the chunks that mismatched in the first pass, after the
// re-checks (and repair), so the summary's counts describe the state the result describes.
func (t *tableRun) recount(ctx context.Context) error {
	for _, m := range t.mismatch {
		s, c, err := t.sums(ctx, m.r)
		if err != nil {
			return err
		}
		t.res.SourceRows += s.Count - m.s.Count
		t.res.CopyRows += c.Count - m.c.Count
	}
	return nil
}

// sums computes the checksum of r on both sides at the same time.
func (t *tableRun) sums(ctx context.Context, r keyRange) (s, c checksum, err error) {
	g, gctx := newGroup(ctx, 0)
	g.Go(func() (e error) { s, e = t.src.Checksum(gctx, r); return e })
	g.Go(func() (e error) { c, e = t.cp.Checksum(gctx, r); return e })
	err = g.Wait()
	return s, c, err
}

func (t *tableRun) compareChunk(ctx context.Context, r keyRange) error {
	s, c, err := t.sums(ctx, r)
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.res.Chunks++
	t.res.SourceRows += s.Count
	t.res.CopyRows += c.Count
	if s != c {
		t.res.MismatchedChunks++
		t.mismatch = append(t.mismatch, chunkSums{r: r, s: s, c: c})
	}
	t.mu.Unlock()
	t.v.metrics.chunk(t.res.Table, t.res.Sink, s.Count, s == c)
	if s == c {
		return nil
	}
	return t.narrow(ctx, r, s, c)
}

// narrow bisects a mismatching range at the source's middle key until it is small, then diffs
// it row by row.
func (t *tableRun) narrow(ctx context.Context, r keyRange, s, c checksum) error {
	if s == c || t.full() {
		return nil
	}
	small := int64(t.v.cfg.DiffRows)
	if (s.Count <= small && c.Count <= 4*small) || s.Count < 2 {
		return t.rowDiff(ctx, r)
	}
	mid, ok, err := t.src.Boundary(ctx, r, s.Count/2)
	if err != nil {
		return err
	}
	if !ok { // the source changed under us; compare the whole range
		return t.rowDiff(ctx, r)
	}
	for _, half := range []keyRange{{Lo: r.Lo, Hi: mid}, {Lo: mid, Hi: r.Hi}} {
		hs, hc, err := t.sums(ctx, half)
		if err != nil {
			return err
		}
		if err := t.narrow(ctx, half, hs, hc); err != nil {
			return err
		}
	}
	return nil
}

// rowDiff compares the row hashes of r key by key.
func (t *tableRun) rowDiff(ctx context.Context, r keyRange) error {
	limit := t.v.cfg.MaxDiffKeys + 4*t.v.cfg.DiffRows
	var sh, ch map[string]keyHash
	g, gctx := newGroup(ctx, 0)
	g.Go(func() (e error) { sh, e = t.src.RowHashes(gctx, r, limit); return e })
	g.Go(func() (e error) { ch, e = t.cp.RowHashes(gctx, r, limit); return e })
	if err := g.Wait(); err != nil {
		return err
	}
	t.addDiffs(diffHashes(sh, ch))
	return nil
}

// diffHashes compares two key->hash maps.
func diffHashes(src, cp map[string]keyHash) []KeyDiff {
	var out []KeyDiff
	for k, s := range src {
		c, ok := cp[k]
		switch {
		case !ok:
			out = append(out, KeyDiff{Key: s.Key, Kind: Missing})
		case c.Hash != s.Hash:
			out = append(out, KeyDiff{Key: s.Key, Kind: Changed})
		}
	}
	for k, c := range cp {
		if _, ok := src[k]; !ok {
			out = append(out, KeyDiff{Key: c.Key, Kind: Extra})
		}
	}
	return out
}

func (t *tableRun) addDiffs(ds []KeyDiff) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range ds {
		if len(t.diffs) >= t.v.cfg.MaxDiffKeys {
			t.res.Truncated = true
			return
		}
		t.diffs[key(d.Key).String()] = d
	}
}

func (t *tableRun) full() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.res.Truncated
}

func (t *tableRun) diffList() []KeyDiff {
	out := make([]KeyDiff, 0, len(t.diffs))
	for _, d := range t.diffs {
		out = append(out, d)
	}
	return out
}

func lessKey(a, b []string) bool {
	for i := range a {
		if i >= len(b) {
			return false
		}
		if a[i] != b[i] {
			if len(a[i]) != len(b[i]) && source.NumericLiteral.MatchString(a[i]) && source.NumericLiteral.MatchString(b[i]) {
				return len(a[i]) < len(b[i])
			}
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
