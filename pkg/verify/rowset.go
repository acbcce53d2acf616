package verify

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/ferry-cdc/ferry/pkg/source"
)

// Tables without a primary key.
//
// A source table without a primary key (published under the tailer's `no-pk-policy:
// all-columns`) has a copy keyed by a digest of all its values, which keeps identical source
// rows as one row: the copy is the set of the source's distinct rows. Such a table has no key to
// chunk or bisect by, so it is compared as a whole: the set of distinct row hashes of the live
// source rows against that of the live copy rows. A hash only in the source is reported
// Missing, one only in the copy Extra, each with the row hash (decimal text) as its key; there
// is no Changed (a changed row is a missing one and an extra one). The whole comparison is
// repeated for re-checks. Repair is not possible (a hash does not name a row to re-read):
// backfill such a table instead.

// RowSetSide is a Side that can also read the distinct row hashes of a whole table (the
// source reader and both copy engines' readers).
type RowSetSide interface {
	RowSet(ctx context.Context) (map[uint64]bool, error)
}

// RowSet of a table the copy lacks is empty.
func (emptySide) RowSet(context.Context) (map[uint64]bool, error) { return map[uint64]bool{}, nil }

// compareSets compares the table as row sets, re-checking differences up to Retries times,
// and fills res (one "chunk": the whole table).
func (v *Verifier) compareSets(ctx context.Context, src, cp Side, res *TableResult) error {
	s, ok1 := src.(RowSetSide)
	c, ok2 := cp.(RowSetSide)
	if !ok1 || !ok2 {
		return fmt.Errorf("verify %s: this copy cannot be compared as a row set", res.Table)
	}
	for attempt := 0; ; attempt++ {
		sh, err := s.RowSet(ctx)
		if err != nil {
			return err
		}
		ch, err := c.RowSet(ctx)
		if err != nil {
			return err
		}
		res.SourceRows, res.CopyRows, res.Diffs = int64(len(sh)), int64(len(ch)), setDiffs(sh, ch, v.cfg.MaxDiffKeys, res)
		if attempt == 0 {
			res.Chunks = 1
			if len(res.Diffs) > 0 {
				res.MismatchedChunks = 1
			}
			v.metrics.chunk(res.Table, res.Sink, res.SourceRows, len(res.Diffs) == 0)
		}
		if len(res.Diffs) == 0 || attempt >= v.cfg.Retries {
			return nil
		}
		if err := sleep(ctx, v.cfg.RetryInterval); err != nil {
			return err
		}
	}
}

// setDiffs lists the hashes only in the source (Missing) or only in the copy (Extra), sorted,
// at most limit of them (res.Truncated is set when there were more).
func setDiffs(src, cp map[uint64]bool, limit int, res *TableResult) []KeyDiff {
	var out []KeyDiff
	for h := range src {
		if !cp[h] {
			out = append(out, KeyDiff{Key: []string{strconv.FormatUint(h, 10)}, Kind: Missing})
		}
	}
	for h := range cp {
		if !src[h] {
			out = append(out, KeyDiff{Key: []string{strconv.FormatUint(h, 10)}, Kind: Extra})
		}
	}
	sort.Slice(out, func(i, j int) bool { return lessKey(out[i].Key, out[j].Key) })
	res.Truncated = len(out) > limit
	if res.Truncated {
		out = out[:limit]
	}
	return out
}

// tableAsSet verifies a table without a primary key (see the top of this file).
func (v *Verifier) tableAsSet(ctx context.Context, ts *tableSchema, cp Side, cols []column, start time.Time) (*TableResult, error) {
	ref := ts.Ref
	res := &TableResult{Table: ref, Sink: v.copy.Name()}
	src := source.NewReader(v.source, ref.Database, ref.Name, cols, nil, "")
	if err := v.compareSets(ctx, src, cp, res); err != nil {
		return nil, err
	}
	if v.repairer != nil && len(res.Diffs) > 0 {
		v.log.Warn("cannot repair a table without a primary key (its rows have no key to re-read); backfill it",
			"table", ref.String(), "sink", res.Sink, "differing_rows", len(res.Diffs))
	}
	res.Duration = time.Since(start)
	v.metrics.observe(res)
	v.log.Info("verified table as a row set (no primary key)", "table", ref.String(), "sink", res.Sink,
		"source_rows", res.SourceRows, "copy_rows", res.CopyRows, "differing_rows", len(res.Diffs), "seconds", res.Duration.Seconds())
	return res, nil
}

var _ RowSetSide = (*source.Reader)(nil)
