package verify

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// checksum is the order-independent summary of the rows of one key range on one side: row
// count, XOR and sum (mod 2^64) of the 64-bit row hashes. Equal checksums mean equal rows with
// overwhelming probability; the count makes cancelling XOR pairs visible.
type checksum struct {
	Count int64
	Xor   uint64
	Sum   uint64
}

// side is one database holding a table to compare: the source, a MySQL copy or a ClickHouse copy.
type side interface {
	// checksum summarises the live rows of r.
	checksum(ctx context.Context, r keyRange) (checksum, error)
	// rowHashes returns the canonical key and hash of every live row of r, at most limit rows.
	rowHashes(ctx context.Context, r keyRange, limit int) (map[string]keyHash, error)
	// keyHashes returns the hash of each of keys that exists (live) on this side.
	keyHashes(ctx context.Context, keys []key) (map[string]keyHash, error)
}

// keyHash is a row's canonical key and row hash.
type keyHash struct {
	Key  key
	Hash uint64
}

// mysqlSide reads a table on MariaDB/MySQL: the source (no filter) or a MySQL copy
// (filter "_deleted = 0" hides tombstones).
type mysqlSide struct {
	db      *sql.DB
	table   string   // quoted db.table
	keys    []string // quoted key column names
	keyExpr []string // canonical key expressions
	eqKeys  []string // what a key lookup compares with a canonical key value (keyLookupNames)
	kinds   []kind   // kinds of the key columns
	hash    string   // row hash expression
	filter  string   // extra condition, "" for none
}

func newMySQLSide(db *sql.DB, database, table string, cols, keyCols []column, filter string) *mysqlSide {
	s := &mysqlSide{db: db, table: quoteMySQL(database) + "." + quoteMySQL(table), hash: mysqlRowHash(cols), filter: filter}
	for _, k := range keyCols {
		s.keys = append(s.keys, quoteMySQL(k.Name))
		s.keyExpr = append(s.keyExpr, mysqlExpr(k))
		s.kinds = append(s.kinds, k.Kind)
	}
	s.eqKeys = keyLookupNames(s.keys, s.keyExpr, s.kinds)
	return s
}

// keyLookupNames returns, per key column, what an exact key lookup compares with the canonical
// key value: the column itself (indexed; the value is converted back by the placeholder or
// literal), except for floats, whose canonical text does not convert back to the stored value.
func keyLookupNames(names, exprs []string, kinds []kind) []string {
	out := make([]string, len(names))
	for i := range names {
		out[i] = names[i]
		if kinds[i].isFloat() {
			out[i] = exprs[i]
		}
	}
	return out
}

// where renders the range condition with placeholders; args receives the values.
func (s *mysqlSide) where(cond string) string {
	if s.filter != "" {
		cond = "(" + cond + ") AND " + s.filter
	}
	return cond
}

// placeholders renders canonical key values as placeholders (appending the values to args),
// converted back to the column's type where the canonical text differs from the stored value:
// binary keys are compared with UNHEX of their hex text, BIT keys with the unsigned number.
func (s *mysqlSide) placeholders(args *[]any) func(int, string) string {
	return func(col int, v string) string {
		*args = append(*args, v)
		switch s.kinds[col] {
		case kindBinary:
			return "UNHEX(?)"
		case kindBit:
			return "CAST(? AS UNSIGNED)"
		}
		return "?"
	}
}

func (s *mysqlSide) checksum(ctx context.Context, r keyRange) (checksum, error) {
	var args []any
	cond := s.where(r.predicate(s.keys, s.placeholders(&args)))
	q := "SELECT COUNT(*), CAST(COALESCE(BIT_XOR(h), 0) AS CHAR), CAST(COALESCE(SUM(h) % 18446744073709551616, 0) AS CHAR) FROM (SELECT " +
		s.hash + " AS h FROM " + s.table + " WHERE " + cond + ") x"
	var c checksum
	var xs, ss string
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&c.Count, &xs, &ss); err != nil {
		return c, fmt.Errorf("checksum %s: %w", s.table, err)
	}
	return c, parseSums(&c, xs, ss)
}

func parseSums(c *checksum, xs, ss string) error {
	var err error
	if c.Xor, err = strconv.ParseUint(xs, 10, 64); err != nil {
		return fmt.Errorf("parse checksum xor %q: %w", xs, err)
	}
	if c.Sum, err = strconv.ParseUint(ss, 10, 64); err != nil {
		return fmt.Errorf("parse checksum sum %q: %w", ss, err)
	}
	return nil
}

func (s *mysqlSide) rowHashes(ctx context.Context, r keyRange, limit int) (map[string]keyHash, error) {
	var args []any
	cond := s.where(r.predicate(s.keys, s.placeholders(&args)))
	q := "SELECT " + strings.Join(s.keyExpr, ", ") + ", " + s.hash + " FROM " + s.table + " WHERE " + cond +
		" ORDER BY " + strings.Join(s.keys, ", ") + " LIMIT " + strconv.Itoa(limit)
	return scanKeyHashes(ctx, s.db, q, args, len(s.keys), s.table)
}

func (s *mysqlSide) keyHashes(ctx context.Context, keys []key) (map[string]keyHash, error) {
	var args []any
	cond := s.where(keysPredicate(s.eqKeys, keys, s.placeholders(&args)))
	q := "SELECT " + strings.Join(s.keyExpr, ", ") + ", " + s.hash + " FROM " + s.table + " WHERE " + cond
	return scanKeyHashes(ctx, s.db, q, args, len(s.keys), s.table)
}

// scanKeyHashes runs q, whose columns are n key texts and a row hash.
func scanKeyHashes(ctx context.Context, db *sql.DB, q string, args []any, n int, table string) (map[string]keyHash, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read row hashes of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]keyHash{}
	vals := make([]sql.NullString, n+1)
	ptrs := make([]any, n+1)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read row hashes of %s: %w", table, err)
		}
		k := make(key, n)
		for i := 0; i < n; i++ {
			k[i] = vals[i].String
		}
		h, err := strconv.ParseUint(vals[n].String, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse row hash of %s: %w", table, err)
		}
		out[k.String()] = keyHash{Key: k, Hash: h}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read row hashes of %s: %w", table, err)
	}
	return out, nil
}

// boundary returns the canonical key at 1-based position n among the source rows after r.Lo (and
// not after r.Hi); ok is false when fewer than n rows remain. It walks the primary key index only.
func (s *mysqlSide) boundary(ctx context.Context, r keyRange, n int64) (key, bool, error) {
	var args []any
	cond := s.where(r.predicate(s.keys, s.placeholders(&args)))
	q := "SELECT " + strings.Join(s.keyExpr, ", ") + " FROM " + s.table + " WHERE " + cond +
		" ORDER BY " + strings.Join(s.keys, ", ") + " LIMIT 1 OFFSET " + strconv.FormatInt(n-1, 10)
	vals := make([]sql.RawBytes, len(s.keys))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("find chunk boundary in %s: %w", s.table, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, false, rows.Err()
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, false, fmt.Errorf("find chunk boundary in %s: %w", s.table, err)
	}
	k := make(key, len(vals))
	for i, v := range vals {
		k[i] = string(v)
	}
	return k, true, nil
}
