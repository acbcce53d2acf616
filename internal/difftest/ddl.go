package difftest

import (
	"fmt"
	"strings"
)

// addColumn adds a random column: nullable with or without a DEFAULT, or NOT NULL with a DEFAULT
// or with the type's implicit default; existing rows get that value at the source without a row
// event, and the copies must give it to them too.
func (w *workload) addColumn(t *table) error {
	w.ddlSeq++
	k := catalogue[w.r.IntN(len(catalogue))]
	c := column{name: fmt.Sprintf("a%d", w.ddlSeq), kind: k}
	def := "NULL"
	switch n := w.r.IntN(4); {
	case n == 0:
	case n == 1:
		def = "NULL DEFAULT " + k.gen(w.r)
	case n == 2 || !k.notNull:
		def = "NOT NULL DEFAULT " + k.gen(w.r)
	default:
		def = "NOT NULL"
	}
	if _, err := w.exec(fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s %s", ident(t.name), ident(c.name), k.ddl, def)); err != nil {
		return err
	}
	c.notNull = strings.HasPrefix(def, "NOT NULL")
	t.cols = append(t.cols, c)
	return nil
}

func (w *workload) dropColumn(t *table) error {
	if len(t.cols) < 2 {
		return nil
	}
	i := w.r.IntN(len(t.cols))
	if _, err := w.exec(fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", ident(t.name), ident(t.cols[i].name))); err != nil {
		return err
	}
	t.cols = append(t.cols[:i], t.cols[i+1:]...)
	return nil
}

func (w *workload) renameColumn(t *table) error {
	w.ddlSeq++
	i := w.r.IntN(len(t.cols))
	name := fmt.Sprintf("%s_n%d", strings.SplitN(t.cols[i].name, "_", 2)[0], w.ddlSeq)
	if _, err := w.exec(fmt.Sprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", ident(t.name), ident(t.cols[i].name), ident(name))); err != nil {
		return err
	}
	t.cols[i].name = name
	return nil
}

func (w *workload) renameTable(t *table) error {
	w.ddlSeq++
	name := fmt.Sprintf("%s_r%d", strings.SplitN(t.name, "_", 2)[0], w.ddlSeq)
	if _, err := w.exec(fmt.Sprintf("RENAME TABLE %s TO %s", ident(t.name), ident(name))); err != nil {
		return err
	}
	t.name = name
	return nil
}

func (w *workload) truncate(t *table) error {
	if _, err := w.exec("TRUNCATE TABLE " + ident(t.name)); err != nil {
		return err
	}
	t.keys = nil
	return nil
}

// ddl runs one random DDL statement on t.
func (w *workload) ddl(t *table) error {
	ops := []struct {
		name string
		fn   func(*table) error
	}{
		{"add-column", w.addColumn}, {"add-column", w.addColumn}, {"drop-column", w.dropColumn},
		{"rename-table", w.renameTable}, {"truncate", w.truncate},
	}
	if w.renameCol {
		ops = append(ops, struct {
			name string
			fn   func(*table) error
		}{"rename-column", w.renameColumn})
	}
	op := ops[w.r.IntN(len(ops))]
	w.stats[op.name]++
	return op.fn(t)
}
