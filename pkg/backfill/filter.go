package backfill

import (
	"context"
	"errors"
	"fmt"
	"path"
)

// ErrExcluded is returned (wrapped) for a table the tailer's include/exclude filters do not
// publish: its copy would never receive changes, so a backfill would leave a stale copy.
var ErrExcluded = errors.New("table is excluded by the tailer's filters")

// filtered reports whether db.table is published under the tailer's filters (same rule as the
// tailer: path.Match globs, exclude wins over include, an empty include list means all).
func (c *Config) filtered(db, table string) bool {
	name := db + "." + table
	return (len(c.Include) == 0 || matchAny(c.Include, name)) && !matchAny(c.Exclude, name)
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// loadTable loads db.name and applies the tailer's filters: an excluded table is refused and
// columns matching exclude-columns (never primary key columns, as in the tailer) are dropped, so
// snapshot rows carry exactly the columns the stream's rows carry.
func (b *Backfiller) loadTable(ctx context.Context, db, name string) (*Table, error) {
	if !b.cfg.filtered(db, name) {
		return nil, fmt.Errorf("%w: %s.%s (include %v, exclude %v); backfill only tables the tailer streams", ErrExcluded, db, name, b.cfg.Include, b.cfg.Exclude)
	}
	t, err := LoadTable(ctx, b.src, db, name)
	if err != nil || len(b.cfg.ExcludeColumns) == 0 {
		return t, err
	}
	keep := t.Columns[:0:0]
	for _, c := range t.Columns {
		if !t.isPK(c.Name) && matchAny(b.cfg.ExcludeColumns, db+"."+name+"."+c.Name) {
			continue
		}
		keep = append(keep, c)
	}
	t.Columns = keep
	t.indexPK()
	return t, nil
}
