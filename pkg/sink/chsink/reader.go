package chsink

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/source"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// Reader reads a ClickHouse copy written by this sink for verify: ReplacingMergeTree(_version)
// tables ordered by the primary key with a _deleted column, read with FINAL. Temporal columns are
// compared at the precision the copy's column type keeps (ClickHouse 18.16's DateTime keeps
// whole seconds; verify truncates the source side to match).
type Reader struct {
	// DB is the ClickHouse server through database/sql (clickhouse.OpenDB).
	DB *sql.DB
	// Database maps the source database to the ClickHouse database; "{db}" is replaced by the
	// source database name.
	Database string
}

var _ verify.Copy = (*Reader)(nil)

// Name returns "clickhouse".
func (r *Reader) Name() string { return Name }

// Columns returns the copy database of sourceDB and the ClickHouse types of the columns of its
// copy of table.
func (r *Reader) Columns(ctx context.Context, sourceDB, table string) (string, map[string]string, error) {
	db := sink.MapDatabase(r.Database, sourceDB)
	types, err := columnTypes(ctx, r.DB, db, table)
	return db, types, err
}

// KeepsFSP returns the fraction digits a column of type colType keeps of a source datetime with
// fsp digits.
func (r *Reader) KeepsFSP(colType string, fsp int) int { return keepsFSP(colType, fsp) }

// Side returns the reader of the live rows of copyDB.table.
func (r *Reader) Side(copyDB, table string, cols, keyCols []source.Column, types map[string]string) verify.Side {
	return newSide(r.DB, copyDB, table, cols, keyCols, types)
}

// columnTypes reads the column types of a ClickHouse table.
func columnTypes(ctx context.Context, db *sql.DB, database, table string) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name, type FROM system.columns WHERE database = "+QuoteString(database)+" AND table = "+QuoteString(table))
	if err != nil {
		return nil, fmt.Errorf("read columns of clickhouse table %s.%s: %w", database, table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return nil, fmt.Errorf("read columns of clickhouse table %s.%s: %w", database, table, err)
		}
		out[n] = t
	}
	return out, rows.Err()
}

// side reads one copy table. Every read goes through
// (SELECT * FROM t FINAL WHERE <key condition>) and filters _deleted = 0 outside it: on
// ClickHouse 18.16 a _deleted condition that ends up in PREWHERE is evaluated before FINAL
// collapses versions and would resurrect the previous version of a deleted row (measured).
// Key conditions are safe inside FINAL because all versions of a row share its key.
type side struct {
	db      *sql.DB
	table   string        // quoted db.table
	keys    []string      // quoted key column names
	keyType []string      // ClickHouse types of the key columns
	keyExpr []string      // canonical key expressions
	eqKeys  []string      // what a key lookup compares (source.KeyLookupNames)
	kinds   []source.Kind // kinds of the key columns
	hash    string
}

var (
	_ verify.Side       = (*side)(nil)
	_ verify.RowSetSide = (*side)(nil)
)

func newSide(db *sql.DB, database, table string, cols, keyCols []source.Column, types map[string]string) *side {
	s := &side{db: db, table: Quote(database) + "." + Quote(table), hash: rowHash(cols, types)}
	for _, k := range keyCols {
		s.keys = append(s.keys, Quote(k.Name))
		s.keyType = append(s.keyType, types[k.Name])
		s.keyExpr = append(s.keyExpr, canonExpr(k, types[k.Name]))
		s.kinds = append(s.kinds, k.Kind)
	}
	s.eqKeys = source.KeyLookupNames(s.keys, s.keyExpr, s.kinds)
	return s
}

// literal renders canonical key value v of key column col for a comparison with the column:
// binary keys as unhex of their hex text.
func (s *side) literal(col int, v string) string {
	if s.kinds[col] == source.KindBinary && source.HexText.MatchString(v) {
		return "unhex('" + v + "')"
	}
	return literal(s.keyType[col], v)
}

// eqLiteral renders v for a key lookup (eqKeys): floats are compared as canonical text.
func (s *side) eqLiteral(col int, v string) string {
	if s.kinds[col].IsFloat() {
		return literal("String", v)
	}
	return s.literal(col, v)
}

func (s *side) from(cond string) string {
	return "(SELECT * FROM " + s.table + " FINAL WHERE " + cond + ") WHERE " + liveRows
}

// liveRows is the condition that hides tombstones.
var liveRows = deletedCol + " = 0"

// Checksum summarises the live rows of r.
func (s *side) Checksum(ctx context.Context, r source.KeyRange) (source.Checksum, error) {
	q := "SELECT count(), toString(groupBitXor(h)), toString(sum(h)) FROM (SELECT " + s.hash + " AS h FROM " +
		s.from(r.Predicate(s.keys, s.literal)) + ")"
	var c source.Checksum
	var n uint64
	var xs, ss string
	if err := s.db.QueryRowContext(ctx, q).Scan(&n, &xs, &ss); err != nil {
		return c, fmt.Errorf("checksum %s: %w", s.table, err)
	}
	c.Count = int64(n)
	return c, source.ParseSums(&c, xs, ss)
}

// RowHashes returns the canonical key and hash of every live row of r, at most limit rows.
func (s *side) RowHashes(ctx context.Context, r source.KeyRange, limit int) (map[string]source.KeyHash, error) {
	q := "SELECT " + strings.Join(s.keyExpr, ", ") + ", toString(" + s.hash + ") FROM " + s.from(r.Predicate(s.keys, s.literal)) +
		" ORDER BY " + strings.Join(s.keys, ", ") + " LIMIT " + strconv.Itoa(limit)
	return source.ScanKeyHashes(ctx, s.db, q, nil, len(s.keys), s.table)
}

// KeyHashes returns the hash of each of keys that is live in the copy.
func (s *side) KeyHashes(ctx context.Context, keys []source.Key) (map[string]source.KeyHash, error) {
	q := "SELECT " + strings.Join(s.keyExpr, ", ") + ", toString(" + s.hash + ") FROM " + s.from(source.KeysPredicate(s.eqKeys, keys, s.eqLiteral))
	return source.ScanKeyHashes(ctx, s.db, q, nil, len(s.keys), s.table)
}

// RowSet returns the distinct row hashes of the live rows of the whole table: how a table
// without a primary key (a copy keyed by _row_key) is compared.
func (s *side) RowSet(ctx context.Context) (map[uint64]bool, error) {
	return source.ScanRowSet(ctx, s.db, "SELECT DISTINCT toString("+s.hash+") FROM "+s.from("1 = 1"), s.table)
}
