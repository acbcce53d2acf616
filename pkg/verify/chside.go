package verify

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// chSide reads a ClickHouse copy table. Every read goes through
// (SELECT * FROM t FINAL WHERE <key condition>) and filters _deleted = 0 outside it: on
// ClickHouse 18.16 a _deleted condition that ends up in PREWHERE is evaluated before FINAL
// collapses versions and would resurrect the previous version of a deleted row (measured).
// Key conditions are safe inside FINAL because all versions of a row share its key.
type chSide struct {
	db      *sql.DB
	table   string   // quoted db.table
	keys    []string // quoted key column names
	keyType []string // ClickHouse types of the key columns
	keyExpr []string // canonical key expressions
	eqKeys  []string // what a key lookup compares (keyLookupNames)
	kinds   []kind   // kinds of the key columns
	hash    string
}

func newCHSide(db *sql.DB, database, table string, cols, keyCols []column, types map[string]string) *chSide {
	s := &chSide{db: db, table: quoteCH(database) + "." + quoteCH(table), hash: chRowHash(cols, types)}
	for _, k := range keyCols {
		s.keys = append(s.keys, quoteCH(k.Name))
		s.keyType = append(s.keyType, types[k.Name])
		s.keyExpr = append(s.keyExpr, chExpr(k, types[k.Name]))
		s.kinds = append(s.kinds, k.Kind)
	}
	s.eqKeys = keyLookupNames(s.keys, s.keyExpr, s.kinds)
	return s
}

// literal renders canonical key value v of key column col for a comparison with the column:
// binary keys as unhex of their hex text.
func (s *chSide) literal(col int, v string) string {
	if s.kinds[col] == kindBinary && hexText.MatchString(v) {
		return "unhex('" + v + "')"
	}
	return chLiteral(s.keyType[col], v)
}

// eqLiteral renders v for a key lookup (eqKeys): floats are compared as canonical text.
func (s *chSide) eqLiteral(col int, v string) string {
	if s.kinds[col].isFloat() {
		return chLiteral("String", v)
	}
	return s.literal(col, v)
}

func (s *chSide) from(cond string) string {
	return "(SELECT * FROM " + s.table + " FINAL WHERE " + cond + ") WHERE _deleted = 0"
}

func (s *chSide) checksum(ctx context.Context, r keyRange) (checksum, error) {
	q := "SELECT count(), toString(groupBitXor(h)), toString(sum(h)) FROM (SELECT " + s.hash + " AS h FROM " +
		s.from(r.predicate(s.keys, s.literal)) + ")"
	var c checksum
	var n uint64
	var xs, ss string
	if err := s.db.QueryRowContext(ctx, q).Scan(&n, &xs, &ss); err != nil {
		return c, fmt.Errorf("checksum %s: %w", s.table, err)
	}
	c.Count = int64(n)
	return c, parseSums(&c, xs, ss)
}

func (s *chSide) rowHashes(ctx context.Context, r keyRange, limit int) (map[string]keyHash, error) {
	q := "SELECT " + strings.Join(s.keyExpr, ", ") + ", toString(" + s.hash + ") FROM " + s.from(r.predicate(s.keys, s.literal)) +
		" ORDER BY " + strings.Join(s.keys, ", ") + " LIMIT " + strconv.Itoa(limit)
	return scanKeyHashes(ctx, s.db, q, nil, len(s.keys), s.table)
}

func (s *chSide) keyHashes(ctx context.Context, keys []key) (map[string]keyHash, error) {
	q := "SELECT " + strings.Join(s.keyExpr, ", ") + ", toString(" + s.hash + ") FROM " + s.from(keysPredicate(s.eqKeys, keys, s.eqLiteral))
	return scanKeyHashes(ctx, s.db, q, nil, len(s.keys), s.table)
}

// chColumnTypes reads the column types of a ClickHouse table.
func chColumnTypes(ctx context.Context, db *sql.DB, database, table string) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name, type FROM system.columns WHERE database = '"+escapeCH(database)+"' AND table = '"+escapeCH(table)+"'")
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

func escapeCH(s string) string { return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) }
