package mysqlsink

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// copyTable is the cached shape of one copy table; its Types are MySQL column types.
type copyTable = sink.CopyTable

// CopyTableSQL returns the CREATE TABLE statement of the copy of t in database copyDB.
func CopyTableSQL(copyDB string, t *sink.Table) (string, error) {
	if err := t.Validate(); err != nil {
		return "", err
	}
	isPK := map[string]bool{}
	for _, pk := range t.PK {
		isPK[pk] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s (\n", quote(copyDB), quote(t.Name))
	for _, c := range t.Columns {
		def, err := columnDef(c, isPK[c.Name])
		if err != nil {
			return "", fmt.Errorf("copy table %s.%s: %w", t.Database, t.Name, err)
		}
		fmt.Fprintf(&b, "  %s %s,\n", quote(c.Name), def)
	}
	b.WriteString("  `_version` BIGINT UNSIGNED NOT NULL DEFAULT 0,\n")
	b.WriteString("  `_deleted` TINYINT NOT NULL DEFAULT 0,\n")
	if t.RowKeyed() {
		b.WriteString("  " + quote(sink.MetaColumnRowKey) + " BINARY(16) NOT NULL,\n")
	}
	pks := sink.CopyKey(t, quote)
	fmt.Fprintf(&b, "  PRIMARY KEY (%s)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci", strings.Join(pks, ", "))
	return b.String(), nil
}

// columnDef returns the copy's definition of one column: the source type (JSON as LONGTEXT,
// byte-limited text types one size up, no CHECKs), NOT NULL for key columns (string keys in utf8mb4_nopad_bin: distinct bytes, distinct keys), NULL DEFAULT NULL otherwise.
func columnDef(c sink.Column, pk bool) (string, error) {
	ct, err := c.Parsed()
	if err != nil {
		return "", fmt.Errorf("column %s: %w", c.Name, err)
	}
	typ := ct.String()
	if ct.Base == "json" {
		typ = "longtext"
	}
	if w, ok := widerText[ct.Base]; ok {
		typ = w
	}
	if !pk {
		return typ + " NULL DEFAULT NULL", nil
	}
	if ct.IsText() || ct.IsEnumOrSet() {
		typ += " CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"
	}
	return typ + " NOT NULL", nil
}

// ViewSQL returns the view over a copy table that hides tombstones and the meta columns.
func ViewSQL(viewDB, copyDB, table string, columns []string) string {
	return fmt.Sprintf("CREATE OR REPLACE SQL SECURITY INVOKER VIEW %s.%s AS SELECT %s FROM %s.%s WHERE `_deleted` = 0",
		quote(viewDB), quote(table), strings.Join(sink.QuoteAll(columns, quote), ", "), quote(copyDB), quote(table))
}

// table returns the cached copy table for t, creating the copy table and its view if missing.
func (s *Sink) table(ctx context.Context, t *sink.Table) (*copyTable, error) {
	copyDB := s.copyDB(t.Database)
	return s.tables.Get(ctx, copyDB+"."+t.Name,
		func(ctx context.Context) (*copyTable, error) { return s.loadTable(ctx, copyDB, t.Name) },
		func(ctx context.Context) error { return s.createTable(ctx, t) })
}

// forget drops cached shapes of the tables of database source ("" = all), after DDL or errors.
func (s *Sink) forget(source, table string) {
	if source == "" {
		s.tables.Forget("")
		return
	}
	s.tables.Forget(s.copyDB(source) + "." + table)
}

// loadTable reads the copy table's columns from information_schema.
func (s *Sink) loadTable(ctx context.Context, db, name string) (*copyTable, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "+
		"WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", db, name)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s.%s: %w", db, name, err)
	}
	defer rows.Close()
	return sink.ReadCopyTable(rows, db, name)
}

// createTable creates the copy table of t and its view (databases too, if missing).
func (s *Sink) createTable(ctx context.Context, t *sink.Table) error {
	copyDB, viewDB := s.copyDB(t.Database), s.viewDB(t.Database)
	ddl, err := CopyTableSQL(copyDB, t)
	if err != nil {
		return err
	}
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS " + quote(copyDB) + " DEFAULT CHARACTER SET utf8mb4",
		"CREATE DATABASE IF NOT EXISTS " + quote(viewDB) + " DEFAULT CHARACTER SET utf8mb4",
		ddl,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create copy table %s.%s: %w", copyDB, t.Name, err)
		}
	}
	s.log.Info("created copy table", "table", copyDB+"."+t.Name)
	return s.refreshView(ctx, t.Database, t.Name)
}

// refreshView (re)creates the view of one copy table from its current columns, or drops the
// view when the copy table is gone.
func (s *Sink) refreshView(ctx context.Context, source, table string) error {
	copyDB, viewDB := s.copyDB(source), s.viewDB(source)
	ct, err := s.loadTable(ctx, copyDB, table)
	if errors.Is(err, sink.ErrNoCopyTable) {
		_, err = s.db.ExecContext(ctx, "DROP VIEW IF EXISTS "+quote(viewDB)+"."+quote(table))
		return err
	}
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+quote(viewDB)+" DEFAULT CHARACTER SET utf8mb4"); err != nil {
		return fmt.Errorf("create view database %s: %w", viewDB, err)
	}
	if _, err := s.db.ExecContext(ctx, ViewSQL(viewDB, copyDB, table, ct.Columns)); err != nil {
		return fmt.Errorf("create view %s.%s: %w", viewDB, table, err)
	}
	return nil
}

// EnsureTables creates missing copy tables, adds columns the copy lacks (never drops any) and
// recreates the views: the `replayer schema` migration. It returns the statements it ran.
func (s *Sink) EnsureTables(ctx context.Context, tables []*sink.Table) ([]string, error) {
	return sink.MigrateCopyTables(ctx, migrator{s}, tables)
}

// migrator is the sink as a sink.CopyMigrator.
type migrator struct{ s *Sink }

var _ sink.CopyMigrator = migrator{}

func (m migrator) LoadCopyTable(ctx context.Context, t *sink.Table) (*sink.CopyTable, error) {
	return m.s.loadTable(ctx, m.s.copyDB(t.Database), t.Name)
}

func (m migrator) CreateCopyTable(ctx context.Context, t *sink.Table) (string, error) {
	ddl, _ := CopyTableSQL(m.s.copyDB(t.Database), t)
	return ddl, m.s.createTable(ctx, t)
}

func (m migrator) AddCopyColumn(ctx context.Context, ct *sink.CopyTable, c sink.Column) (string, error) {
	def, err := columnDef(c, false)
	if err != nil {
		return "", err
	}
	q := fmt.Sprintf("ALTER TABLE %s.%s ADD COLUMN %s %s", quote(ct.DB), quote(ct.Name), quote(c.Name), def)
	if _, err := m.s.db.ExecContext(ctx, q); err != nil {
		return "", fmt.Errorf("migrate %s.%s: %w", ct.DB, ct.Name, err)
	}
	return q, nil
}

func (m migrator) RefreshCopyView(ctx context.Context, t *sink.Table) error {
	if err := m.s.refreshView(ctx, t.Database, t.Name); err != nil {
		return err
	}
	m.s.forget(t.Database, t.Name)
	return nil
}
