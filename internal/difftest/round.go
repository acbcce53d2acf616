package difftest

import (
	"fmt"
	"strings"
)

// createTables creates the round's tables at the source (the copies create theirs from the
// CREATE TABLE events) and seeds each with a few rows.
func (w *workload) createTables() error {
	if _, err := w.exec("SET SESSION sql_mode = '" + sessionMode + "'"); err != nil {
		return err
	}
	for _, t := range w.tables {
		if _, err := w.exec(t.createSQL()); err != nil {
			return err
		}
	}
	return nil
}

// run performs ops random operations; before operation i it calls hook(i) (the fault schedule).
func (w *workload) run(ops int, hook func(i int) error) error {
	for i := 0; i < ops; i++ {
		if err := hook(i); err != nil {
			return err
		}
		if err := w.step(); err != nil {
			return fmt.Errorf("operation %d: %w\nlatest statements:\n%s", i, err, strings.Join(w.last, "\n"))
		}
	}
	return nil
}

// step runs one operation on a random table: mostly single-row DML, sometimes several of them
// in one transaction (committed, or rolled back), a big transaction or a DDL statement.
func (w *workload) step() error {
	t := w.tables[w.r.IntN(len(w.tables))]
	switch n := w.r.IntN(200); {
	case n < 2 && t != w.tables[0]: // the wide table's rows are big: no thousands of them
		w.stats["big-transaction"]++
		return w.bigTxn(t)
	case n < 8:
		return w.ddl(t)
	case n < 20:
		return w.txn()
	}
	return w.dml(t)
}

// dml runs one insert, update or delete on t.
func (w *workload) dml(t *table) error {
	n := w.r.IntN(20)
	switch {
	case len(t.keys) == 0 || n < 9:
		w.stats["insert"]++
		return w.insert(t)
	case n < 16:
		w.stats["update"]++
		return w.update(t)
	}
	w.stats["delete"]++
	return w.delete(t)
}

// txn runs a few DML statements on random tables in one transaction and commits it, or one
// time in five rolls it back (then the model reloads the keys).
func (w *workload) txn() error {
	if _, err := w.exec("BEGIN"); err != nil {
		return err
	}
	for range 2 + w.r.IntN(10) {
		if err := w.dml(w.tables[w.r.IntN(len(w.tables))]); err != nil {
			return err
		}
	}
	if w.r.IntN(5) > 0 {
		w.stats["commit"]++
		_, err := w.exec("COMMIT")
		return err
	}
	w.stats["rollback"]++
	if _, err := w.exec("ROLLBACK"); err != nil {
		return err
	}
	for _, t := range w.tables {
		if err := w.refreshKeys(t); err != nil {
			return err
		}
	}
	return nil
}
