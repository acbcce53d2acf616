package verify

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"time"
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

// rowSetSide reads the distinct row hashes of a whole table.
type rowSetSide interface {
	rowSet(ctx context.Context) (map[uint64]bool, error)
}

func (s *mysqlSide) rowSet(ctx context.Context) (map[uint64]bool, error) {
	cond := "1 = 1"
	if s.filter != "" {
		cond = s.filter
	}
	return scanRowSet(ctx, s.db, "SELECT DISTINCT CAST("+s.hash+" AS CHAR) FROM "+s.table+" WHERE "+cond, s.table)
}

func (s *chSide) rowSet(ctx context.Context) (map[uint64]bool, error) {
	return scanRowSet(ctx, s.db, "SELECT DISTINCT toString("+s.hash+") FROM "+s.from("1 = 1"), s.table)
}

func (emptySide) rowSet(context.Context) (map[uint64]bool, error) { return map[uint64]bool{}, nil }

// scanRowSet runs q, whose one column is a row hash as decimal text.
func scanRowSet(ctx context.Context, db *sql.DB, q, table string) (map[uint64]bool, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read row hashes of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[uint64]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("read row hashes of %s: %w", table, err)
		}
		n, err := strconv.ParseUint(h, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse row hash of %s: %w", table, err)
		}
		out[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read row hashes of %s: %w", table, err)
	}
	return out, nil
}

// compareSets compares the table as row sets, re-checking differences up to Retries times,
// and fills res (one "chunk": the whole table).
func (v *Verifier) compareSets(ctx context.Context, src, cp side, res *TableResult) error {
	s, ok1 := src.(rowSetSide)
	c, ok2 := cp.(rowSetSide)
	if !ok1 || !ok2 {
		return fmt.Errorf("verify %s: this copy cannot be compared as a row set", res.Table)
	}
	for attempt := 0; ; attempt++ {
		sh, err := s.rowSet(ctx)
		if err != nil {
			return err
		}
		ch, err := c.rowSet(ctx)
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
func (v *Verifier) tableAsSet(ctx context.Context, ts *tableSchema, cp side, cols []column, start time.Time) (*TableResult, error) {
	ref := ts.Ref
	res := &TableResult{Table: ref, Sink: v.copy.Name()}
	src := newMySQLSide(v.source, ref.Database, ref.Name, cols, nil, "")
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
