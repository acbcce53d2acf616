package difftest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// sessionMode is the source session's sql_mode: strict (a generator bug is an error, not a
// silently changed value) but, as MariaDB's default, accepting zero dates.
const sessionMode = "STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION"

// workload runs a round's random DML and DDL on one source session and keeps the table model.
type workload struct {
	ctx       context.Context
	conn      *sql.Conn
	r         *rand.Rand
	tables    []*table
	renameCol bool // the ClickHouse copy can rename columns (20.4+)
	ddlSeq    int
	stats     map[string]int
	last      []string // the latest statements, for a failure report
	ddlLog    []string // every DDL statement of the round, for a failure report
}

func (w *workload) exec(q string) (sql.Result, error) {
	w.last = append(w.last, q)
	if len(w.last) > 8 {
		w.last = w.last[1:]
	}
	if strings.HasPrefix(q, "ALTER") || strings.HasPrefix(q, "RENAME") || strings.HasPrefix(q, "TRUNCATE") {
		w.ddlLog = append(w.ddlLog, q)
	}
	res, err := w.conn.ExecContext(w.ctx, q)
	if err != nil {
		return nil, fmt.Errorf("source: %s: %w", abbrev(q), err)
	}
	return res, nil
}

// duplicate reports a duplicate-key error (a random key that exists already): skipped.
func duplicate(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}

func abbrev(q string) string {
	if len(q) > 600 {
		return q[:600] + fmt.Sprintf("... (%d bytes)", len(q))
	}
	return q
}

// value returns a literal for a non-key column: NULL about one time in eight.
func (w *workload) value(c column) string {
	if !c.notNull && w.r.IntN(8) == 0 {
		return "NULL"
	}
	return c.kind.gen(w.r)
}

func (w *workload) rowLiterals(t *table) (key []string, vals []string) {
	for _, c := range t.keyCols {
		key = append(key, keyLiteral(w.r, c.kind))
	}
	for _, c := range t.cols {
		vals = append(vals, w.value(c))
	}
	return key, vals
}

func colList(cols []column) string {
	var names []string
	for _, c := range cols {
		names = append(names, ident(c.name))
	}
	return strings.Join(names, ", ")
}

func (w *workload) insert(t *table) error {
	key, vals := w.rowLiterals(t)
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", ident(t.name), colList(t.allCols()),
		strings.Join(append(key, vals...), ", "))
	if _, err := w.exec(q); err != nil {
		if duplicate(err) {
			return nil
		}
		return err
	}
	t.keys = append(t.keys, key)
	return nil
}

func keyWhere(t *table, key []string) string {
	var conds []string
	for i, c := range t.keyCols {
		conds = append(conds, ident(c.name)+" = "+key[i])
	}
	return strings.Join(conds, " AND ")
}

// update changes a few columns of a live row; one update in five also changes its key (a text
// key by case or trailing spaces, any other by a new value).
func (w *workload) update(t *table) error {
	i := w.r.IntN(len(t.keys))
	key := t.keys[i]
	var sets []string
	for _, c := range t.cols {
		if w.r.IntN(3) == 0 {
			sets = append(sets, ident(c.name)+" = "+w.value(c))
		}
	}
	newKey := key
	if w.r.IntN(5) == 0 {
		newKey = append([]string{}, key...)
		j := w.r.IntN(len(t.keyCols))
		if c := t.keyCols[j]; c.kind.text && w.r.IntN(3) > 0 {
			newKey[j] = changedTextKey(w.r, key[j])
		} else {
			newKey[j] = keyLiteral(w.r, c.kind)
		}
		sets = append(sets, ident(t.keyCols[j].name)+" = "+newKey[j])
		w.stats["key-change"]++
	}
	if len(sets) == 0 {
		sets = append(sets, ident(t.cols[0].name)+" = "+w.value(t.cols[0]))
	}
	q := fmt.Sprintf("UPDATE %s SET %s WHERE %s", ident(t.name), strings.Join(sets, ", "), keyWhere(t, key))
	if _, err := w.exec(q); err != nil {
		if duplicate(err) {
			return nil
		}
		return err
	}
	t.keys[i] = newKey
	return nil
}

func (w *workload) delete(t *table) error {
	i := w.r.IntN(len(t.keys))
	if _, err := w.exec(fmt.Sprintf("DELETE FROM %s WHERE %s", ident(t.name), keyWhere(t, t.keys[i]))); err != nil {
		return err
	}
	t.keys = append(t.keys[:i], t.keys[i+1:]...)
	return nil
}

// bigTxn inserts a few thousand rows and updates all of them in one transaction.
func (w *workload) bigTxn(t *table) error {
	if _, err := w.exec("BEGIN"); err != nil {
		return err
	}
	for range 2 + w.r.IntN(3) {
		var rows []string
		for range 500 {
			key, vals := w.rowLiterals(t)
			rows = append(rows, "("+strings.Join(append(key, vals...), ", ")+")")
		}
		q := fmt.Sprintf("INSERT IGNORE INTO %s (%s) VALUES %s", ident(t.name), colList(t.allCols()), strings.Join(rows, ", "))
		if _, err := w.exec(q); err != nil {
			return err
		}
	}
	c := t.cols[w.r.IntN(len(t.cols))]
	if _, err := w.exec(fmt.Sprintf("UPDATE %s SET %s = %s", ident(t.name), ident(c.name), w.value(c))); err != nil {
		return err
	}
	if _, err := w.exec("COMMIT"); err != nil {
		return err
	}
	return w.refreshKeys(t)
}

// refreshKeys reloads the model's live keys from the source (after INSERT IGNORE, TRUNCATE or a
// rollback).
func (w *workload) refreshKeys(t *table) error {
	var exprs []string
	for _, c := range t.keyCols {
		if strings.Contains(c.kind.ddl, "BINARY") {
			// raw bytes as a hex literal: QUOTE would send them back as connection-charset text
			exprs = append(exprs, "CONCAT('X''', HEX("+ident(c.name)+"), '''')")
			continue
		}
		exprs = append(exprs, "QUOTE("+ident(c.name)+")")
	}
	rows, err := w.conn.QueryContext(w.ctx, fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), ident(t.name)))
	if err != nil {
		return fmt.Errorf("source: read keys of %s: %w", t.name, err)
	}
	defer rows.Close()
	t.keys = nil
	for rows.Next() {
		key := make([]string, len(t.keyCols))
		dest := make([]any, len(key))
		for i := range key {
			dest[i] = &key[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("source: scan keys of %s: %w", t.name, err)
		}
		t.keys = append(t.keys, key)
	}
	return rows.Err()
}
