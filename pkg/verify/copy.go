package verify

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/source"
)

// Side reads one table to compare: the source (source.Reader) or a copy (the copy engines'
// readers). Every read sees only live rows (no tombstones).
type Side interface {
	// Checksum summarises the live rows of r.
	Checksum(ctx context.Context, r source.KeyRange) (source.Checksum, error)
	// RowHashes returns the canonical key and hash of every live row of r, at most limit rows.
	RowHashes(ctx context.Context, r source.KeyRange, limit int) (map[string]source.KeyHash, error)
	// KeyHashes returns the hash of each of keys that exists (live) on this side.
	KeyHashes(ctx context.Context, keys []source.Key) (map[string]source.KeyHash, error)
}

// Copy is the copy a Verifier compares the source with. The copy engines implement it and own
// its SQL: mysqlsink.Reader (MySQL/MariaDB copy), chsink.Reader (ClickHouse copy).
type Copy interface {
	// Name is the sink name used in output and metric labels ("mysql", "clickhouse").
	Name() string
	// Columns returns the copy database of source database sourceDB and the types of the
	// columns of its copy of table, meta columns included; none when the copy lacks the table.
	Columns(ctx context.Context, sourceDB, table string) (copyDB string, types map[string]string, err error)
	// KeepsFSP returns how many fraction digits of a source DATETIME/TIMESTAMP with fsp digits a
	// copy column of type colType keeps.
	KeepsFSP(colType string, fsp int) int
	// Side returns the reader of the live rows of copy table copyDB.table, comparing cols
	// (key columns keyCols); types are the copy's column types as Columns returned them.
	Side(copyDB, table string, cols, keyCols []source.Column, types map[string]string) Side
}

var _ Side = (*source.Reader)(nil)

// openCopy returns the copy side of table ts and the canonical columns both sides compare in.
func openCopy(ctx context.Context, cp Copy, ts *tableSchema) (Side, []column, error) {
	db, types, err := cp.Columns(ctx, ts.Ref.Database, ts.Ref.Name)
	if err != nil {
		return nil, nil, err
	}
	if len(types) == 0 {
		return absentTable(ts)
	}
	if err := checkCopyColumns(ts, types, db); err != nil {
		return nil, nil, err
	}
	cols := compareColumns(ts, func(col string, fsp int) int { return cp.KeepsFSP(types[col], fsp) })
	return cp.Side(db, ts.Ref.Name, cols, keyColumns(ts, cols), types), cols, nil
}

// absentTable is the copy side of a table the copy does not have (the replayers create copy
// tables at their first row; `replayer schema` creates them all): it is compared as an empty
// table, so an empty source table verifies and every row of a non-empty one is reported missing.
func absentTable(ts *tableSchema) (Side, []column, error) {
	cols := compareColumns(ts, nil)
	return emptySide{}, cols, nil
}

// emptySide is a side without rows.
type emptySide struct{}

var _ Side = emptySide{}

// Checksum is the empty checksum.
func (emptySide) Checksum(context.Context, keyRange) (checksum, error) { return checksum{}, nil }

// RowHashes returns no rows.
func (emptySide) RowHashes(context.Context, keyRange, int) (map[string]keyHash, error) {
	return map[string]keyHash{}, nil
}

// KeyHashes returns no rows.
func (emptySide) KeyHashes(context.Context, []key) (map[string]keyHash, error) {
	return map[string]keyHash{}, nil
}

// checkCopyColumns fails when the copy table lacks source columns.
func checkCopyColumns(ts *tableSchema, have map[string]string, db string) error {
	var missing []string
	for _, c := range ts.Columns {
		if _, ok := have[c.Name]; !ok {
			missing = append(missing, c.Name)
		}
	}
	for _, m := range []string{sink.MetaColumnVersion, sink.MetaColumnDeleted} {
		if _, ok := have[m]; !ok {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("copy table %s.%s lacks columns %s (schema drift: apply the source's DDL to the copy or re-create it)", db, ts.Ref.Name, strings.Join(missing, ", "))
	}
	return nil
}
