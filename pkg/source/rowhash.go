package source

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// Expr renders column c of the current row as canonical text in MariaDB/MySQL (NULL stays
// NULL). The session must run with time_zone '+00:00' so TIMESTAMP renders in UTC.
func Expr(c Column) string {
	q := Quote(c.Name)
	switch c.Kind {
	case KindInt, KindFloat, KindDate:
		return "CAST(" + q + " AS CHAR)"
	case KindFloat32: // CAST(FLOAT AS CHAR) has 6 digits; the widened double is exact
		return "CAST(CAST(" + q + " AS DOUBLE) AS CHAR)"
	case KindDecimal:
		return "REGEXP_REPLACE(CAST(" + q + " AS CHAR), " + TrimZeros + ")"
	case KindBit:
		return "CAST(" + q + " + 0 AS CHAR)"
	case KindDateTime:
		// CAST renders exactly the column's fraction digits; cutting the text truncates like
		// the copies do (ClickHouse DateTime drops the fraction).
		if c.FSP >= c.ColFSP {
			return "CAST(" + q + " AS CHAR)"
		}
		return fmt.Sprintf("LEFT(CAST(%s AS CHAR), %d)", q, DateTimeLen(c.FSP))
	case KindBinary:
		return "HEX(" + q + ")"
	}
	if c.Convert {
		return "CONVERT(" + q + " USING utf8mb4)"
	}
	return q
}

// Row text: the canonical values joined by '|', NULL written as 'n'. Text-like values (which may
// contain '|' or be the string "n") are written as "<byte length>:<text>", so no two different
// rows give the same text; the other kinds (digits, dates, hex) can contain neither. Each column
// expression is evaluated once per row.

// RowHash is a MariaDB expression for the 64-bit row hash: the first 8 bytes (big-endian) of
// MD5 over the canonical row text.
func RowHash(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		e := Expr(c)
		if c.Kind == KindText {
			parts[i] = fmt.Sprintf("IFNULL(CONCAT(LENGTH(%s), ':', %s), 'n')", e, e)
		} else {
			parts[i] = fmt.Sprintf("IFNULL(%s, 'n')", e)
		}
	}
	return "CAST(CONV(LEFT(MD5(CONCAT_WS('|', " + strings.Join(parts, ", ") + ")), 16), 16, 10) AS UNSIGNED)"
}

// Reader reads the checksums and row hashes of a table on MariaDB/MySQL for verify: the source
// (no filter) or a MySQL copy (a filter hiding tombstones).
type Reader struct {
	db      *sql.DB
	table   string   // quoted db.table
	keys    []string // quoted key column names
	keyExpr []string // canonical key expressions
	eqKeys  []string // what a key lookup compares with a canonical key value (KeyLookupNames)
	kinds   []Kind   // kinds of the key columns
	hash    string   // row hash expression
	filter  string   // extra condition, "" for none
}

// NewReader returns the Reader of database.table comparing cols with key keyCols; filter is an
// extra SQL condition every read adds ("" for none).
func NewReader(db *sql.DB, database, table string, cols, keyCols []Column, filter string) *Reader {
	s := &Reader{db: db, table: QuoteTable(database, table), hash: RowHash(cols), filter: filter}
	for _, k := range keyCols {
		s.keys = append(s.keys, Quote(k.Name))
		s.keyExpr = append(s.keyExpr, Expr(k))
		s.kinds = append(s.kinds, k.Kind)
	}
	s.eqKeys = KeyLookupNames(s.keys, s.keyExpr, s.kinds)
	return s
}

// where adds the filter to cond.
func (s *Reader) where(cond string) string {
	if s.filter != "" {
		cond = "(" + cond + ") AND " + s.filter
	}
	return cond
}

// placeholders renders canonical key values as placeholders (appending the values to args),
// converted back to the column's type where the canonical text differs from the stored value:
// binary keys are compared with UNHEX of their hex text, BIT keys with the unsigned number.
func (s *Reader) placeholders(args *[]any) Render {
	return func(col int, v string) string {
		*args = append(*args, v)
		switch s.kinds[col] {
		case KindBinary:
			return "UNHEX(?)"
		case KindBit:
			return "CAST(? AS UNSIGNED)"
		}
		return "?"
	}
}

// Checksum summarises the rows of r.
func (s *Reader) Checksum(ctx context.Context, r KeyRange) (Checksum, error) {
	var args []any
	cond := s.where(r.Predicate(s.keys, s.placeholders(&args)))
	q := "SELECT COUNT(*), CAST(COALESCE(BIT_XOR(h), 0) AS CHAR), CAST(COALESCE(SUM(h) % 18446744073709551616, 0) AS CHAR) FROM (SELECT " +
		s.hash + " AS h FROM " + s.table + " WHERE " + cond + ") x"
	var c Checksum
	var xs, ss string
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&c.Count, &xs, &ss); err != nil {
		return c, fmt.Errorf("checksum %s: %w", s.table, err)
	}
	return c, ParseSums(&c, xs, ss)
}

// ParseSums parses the decimal texts of a checksum's XOR and sum into c.
func ParseSums(c *Checksum, xs, ss string) error {
	var err error
	if c.Xor, err = strconv.ParseUint(xs, 10, 64); err != nil {
		return fmt.Errorf("parse checksum xor %q: %w", xs, err)
	}
	if c.Sum, err = strconv.ParseUint(ss, 10, 64); err != nil {
		return fmt.Errorf("parse checksum sum %q: %w", ss, err)
	}
	return nil
}

// RowHashes returns the canonical key and hash of every row of r, at most limit rows.
func (s *Reader) RowHashes(ctx context.Context, r KeyRange, limit int) (map[string]KeyHash, error) {
	var args []any
	cond := s.where(r.Predicate(s.keys, s.placeholders(&args)))
	q := "SELECT " + strings.Join(s.keyExpr, ", ") + ", " + s.hash + " FROM " + s.table + " WHERE " + cond +
		" ORDER BY " + strings.Join(s.keys, ", ") + " LIMIT " + strconv.Itoa(limit)
	return ScanKeyHashes(ctx, s.db, q, args, len(s.keys), s.table)
}

// KeyHashes returns the hash of each of keys that exists on this side.
func (s *Reader) KeyHashes(ctx context.Context, keys []Key) (map[string]KeyHash, error) {
	var args []any
	cond := s.where(KeysPredicate(s.eqKeys, keys, s.placeholders(&args)))
	q := "SELECT " + strings.Join(s.keyExpr, ", ") + ", " + s.hash + " FROM " + s.table + " WHERE " + cond
	return ScanKeyHashes(ctx, s.db, q, args, len(s.keys), s.table)
}

// ScanKeyHashes runs q, whose columns are n key texts and a row hash; table names it in errors.
func ScanKeyHashes(ctx context.Context, db *sql.DB, q string, args []any, n int, table string) (map[string]KeyHash, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read row hashes of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]KeyHash{}
	vals := make([]sql.NullString, n+1)
	ptrs := make([]any, n+1)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read row hashes of %s: %w", table, err)
		}
		k := make(Key, n)
		for i := 0; i < n; i++ {
			k[i] = vals[i].String
		}
		h, err := strconv.ParseUint(vals[n].String, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse row hash of %s: %w", table, err)
		}
		out[k.String()] = KeyHash{Key: k, Hash: h}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read row hashes of %s: %w", table, err)
	}
	return out, nil
}

// Boundary returns the canonical key at 1-based position n among the rows after r.Lo (and
// not after r.Hi); ok is false when fewer than n rows remain. It walks the primary key index only.
func (s *Reader) Boundary(ctx context.Context, r KeyRange, n int64) (Key, bool, error) {
	var args []any
	cond := s.where(r.Predicate(s.keys, s.placeholders(&args)))
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
	k := make(Key, len(vals))
	for i, v := range vals {
		k[i] = string(v)
	}
	return k, true, nil
}
