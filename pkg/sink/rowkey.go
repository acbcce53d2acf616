package sink

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// MetaColumnRowKey is the key column of the copy of a source table without a primary key
// (published under the tailer's `no-pk-policy: all-columns`): BINARY(16) PRIMARY KEY in the
// MySQL copy, FixedString(16) ORDER BY in the ClickHouse copy, holding RowDigest of the row.
const MetaColumnRowKey = "_row_key"

// RowKeySize is the length in bytes of a row digest.
const RowKeySize = 16

// RowKeyed reports whether t has no primary key, so that its copy is keyed by the digest of all
// its column values (MetaColumnRowKey) instead. Such a copy is a set: identical rows of the
// source are one row of the copy.
func (t *Table) RowKeyed() bool { return len(t.PK) == 0 }

// RowDigest returns the row key of a row of a table without a primary key: the first 16 bytes
// of SHA-256 over the values in Table.Columns order, each written as event.KeyOf writes a key
// part ("<byte length>:<value>", NULL as "~"), so NULL, "" and "~" all differ and no two value
// lists share an encoding. The values are the change-event text, which the tailer derives from
// the stored row alone, so the before image of a DELETE digests to the key its INSERT wrote.
// Column names are not part of it: RENAME COLUMN keeps every key.
func RowDigest(values []*string) []byte {
	h := sha256.New()
	var num [20]byte
	for _, v := range values {
		if v == nil {
			h.Write([]byte{'~'})
			continue
		}
		h.Write(strconv.AppendInt(num[:0], int64(len(*v)), 10))
		h.Write([]byte{':'})
		h.Write([]byte(*v))
	}
	return h.Sum(nil)[:RowKeySize]
}

// CheckRowKeyedCopy checks that rows of source shape t can be written into a copy table with
// columns copyCols whose row-key column exists (rowKey) or not. A copy keyed by row digest
// needs exactly the source's columns, in order: a column added, dropped or excluded on one
// side only changes the digest of every row, so that later deletes and updates would miss
// the rows they change. Both mismatches are ErrBadRow with the fix.
func CheckRowKeyedCopy(t *Table, copyDB, copyName string, copyCols []string, rowKey bool) error {
	switch {
	case !t.RowKeyed() && rowKey:
		return fmt.Errorf("%w: copy table %s.%s is keyed by %s (its source table had no primary key) but %s.%s now has "+
			"primary key (%v): drop the copy table in both copies, skip the halted statements (`replayer ddl skip`) and backfill the table", ErrBadRow, copyDB, copyName,
			MetaColumnRowKey, t.Database, t.Name, t.PK)
	case t.RowKeyed() && !rowKey:
		return fmt.Errorf("%w: %s.%s has no primary key but its copy table %s.%s has no %s column (it was created while the "+
			"source table had one): give the source table a primary key again, or exclude the table in the tailer", ErrBadRow, t.Database, t.Name,
			copyDB, copyName, MetaColumnRowKey)
	case !t.RowKeyed():
		return nil
	}
	src := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		src[i] = c.Name
	}
	if !slices.Equal(src, copyCols) {
		return fmt.Errorf("%w: %s.%s has no primary key and its columns %v differ from those of its copy table %s.%s %v "+
			"(a column change or an exclude-columns change): its copy is keyed by a digest of all columns, so every row's "+
			"key changed; add a primary key to the source table, drop its copy table in both copies, skip the halted statements (`replayer ddl skip`) and backfill the table", ErrBadRow, t.Database, t.Name, src,
			copyDB, copyName, copyCols)
	}
	return nil
}

// AlterChangesColumns reports whether an ALTER TABLE adds, drops or retypes columns, which a
// copy keyed by row digest cannot follow: every row's key would change. RENAME COLUMN and
// ALTER COLUMN ... DEFAULT keep the keys (the digest is over the values only).
func AlterChangesColumns(st *ast.AlterTableStmt) bool {
	for _, sp := range st.Specs {
		switch sp.Tp {
		case ast.AlterTableAddColumns, ast.AlterTableDropColumn, ast.AlterTableModifyColumn, ast.AlterTableChangeColumn:
			return true
		}
	}
	return false
}

// RowKeyedAlterReason explains a halted ALTER TABLE that adds, drops or retypes columns of a
// copy keyed by row digest.
func RowKeyedAlterReason(copyDB, table string) string {
	return fmt.Sprintf("copy table %s.%s is keyed by a digest of all its columns (its source table has no primary key), "+
		"and this statement adds, drops or changes columns, which changes the key of every row (later deletes would miss "+
		"the rows they delete); add a primary key to the source table, drop its copy table in both copies, skip the halted statements (`replayer ddl skip`) and backfill the table (backfill needs the primary key; see docs/tailer.md, Tables without a primary key)", copyDB, table)
}
