package chsink

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// copyTable is the cached shape of one copy table; its Types are ClickHouse types.
type copyTable = sink.CopyTable

// CopyTableSQL returns the CREATE TABLE statement of the copy of t: every source column with
// its mapped type (Nullable except key columns), _version UInt64, _deleted UInt8,
// ReplacingMergeTree(_version) ORDER BY the primary key.
func CopyTableSQL(copyDB string, t *sink.Table, f Features) (string, error) {
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
		typ, err := columnType(c, isPK[c.Name], f)
		if err != nil {
			return "", fmt.Errorf("copy table %s.%s column %s: %w", t.Database, t.Name, c.Name, err)
		}
		fmt.Fprintf(&b, "  %s %s,\n", quote(c.Name), typ)
	}
	if t.RowKeyed() {
		b.WriteString("  " + quote(sink.MetaColumnRowKey) + " FixedString(16),\n")
	}
	pks := sink.CopyKey(t, quote)
	fmt.Fprintf(&b, "  `_version` UInt64,\n  `_deleted` UInt8\n) ENGINE = ReplacingMergeTree(`_version`) ORDER BY (%s)", strings.Join(pks, ", "))
	return b.String(), nil
}

// columnType is the copy column's type: CHType, Nullable for non-key columns. DATE and DATETIME
// key columns are String (the event text, which sorts like the values): every ClickHouse date
// type clamps some MariaDB values (before 1970 or 1900, zero dates), and clamped key values would
// merge distinct rows into one.
func columnType(c sink.Column, pk bool, f Features) (string, error) {
	ct, err := c.Parsed()
	if err != nil {
		return "", fmt.Errorf("%w: column %s: %v", sink.ErrBadRow, c.Name, err)
	}
	typ, err := chTypeOf(ct, f)
	if err != nil {
		return typ, err
	}
	if pk {
		if ct.Base == "date" || ct.Base == "datetime" {
			return "String", nil
		}
		return typ, nil
	}
	return "Nullable(" + typ + ")", nil
}

// ViewSQL returns the view over a copy table that reads FINAL (latest version per key) and
// hides tombstones and the meta columns.
func ViewSQL(viewDB, copyDB, table string, columns []string) string {
	return fmt.Sprintf("CREATE VIEW %s.%s AS SELECT %s FROM %s.%s FINAL WHERE `_deleted` = 0",
		quote(viewDB), quote(table), strings.Join(sink.QuoteAll(columns, quote), ", "), quote(copyDB), quote(table))
}

// table returns the cached copy table for t, creating it and its view when missing.
func (s *Sink) table(ctx context.Context, t *sink.Table) (*copyTable, error) {
	copyDB := s.copyDB(t.Database)
	return s.tables.Get(ctx, copyDB+"."+t.Name,
		func(ctx context.Context) (*copyTable, error) { return s.loadTable(ctx, copyDB, t.Name) },
		func(ctx context.Context) error { return s.createTable(ctx, t) })
}

func (s *Sink) forget(source, table string) { s.tables.Forget(s.copyDB(source) + "." + table) }

func (s *Sink) forgetAll() { s.tables.Forget("") }

// loadTable reads a copy table's columns from system.columns.
func (s *Sink) loadTable(ctx context.Context, db, name string) (*copyTable, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	rows, err := s.conn.Query(ctx, "SELECT name, type FROM system.columns WHERE database = ? AND table = ?", db, name)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s.%s: %w", db, name, err)
	}
	defer rows.Close()
	return sink.ReadCopyTable(rows, db, name)
}

// createTable creates the copy table of t (and databases) and its view.
func (s *Sink) createTable(ctx context.Context, t *sink.Table) error {
	copyDB := s.copyDB(t.Database)
	ddl, err := CopyTableSQL(copyDB, t, s.features)
	if err != nil {
		return err
	}
	if err := s.ensureDatabases(ctx, t.Database); err != nil {
		return err
	}
	if err := s.exec(ctx, ddl); err != nil {
		return fmt.Errorf("create copy table: %w", err)
	}
	s.log.Info("created copy table", "table", copyDB+"."+t.Name)
	return s.refreshView(ctx, t.Database, t.Name)
}

func (s *Sink) ensureDatabases(ctx context.Context, source string) error {
	for _, db := range []string{s.copyDB(source), s.viewDB(source)} {
		if err := s.exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quote(db)); err != nil {
			return err
		}
	}
	return nil
}

// refreshView drops and recreates the view of a copy table (18.16 has no CREATE OR REPLACE
// VIEW), or just drops it when the table is gone.
func (s *Sink) refreshView(ctx context.Context, source, table string) error {
	copyDB, viewDB := s.copyDB(source), s.viewDB(source)
	if err := s.exec(ctx, "DROP TABLE IF EXISTS "+quote(viewDB)+"."+quote(table)); err != nil {
		return err
	}
	ct, err := s.loadTable(ctx, copyDB, table)
	if errors.Is(err, sink.ErrNoCopyTable) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.exec(ctx, ViewSQL(viewDB, copyDB, table, ct.Columns))
}

// EnsureTables creates missing copy tables, adds missing columns (never drops) and recreates
// views: the `replayer schema` migration. It returns the statements it ran.
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
	ddl, _ := CopyTableSQL(m.s.copyDB(t.Database), t, m.s.features)
	return ddl, m.s.createTable(ctx, t)
}

func (m migrator) AddCopyColumn(ctx context.Context, ct *sink.CopyTable, c sink.Column) (string, error) {
	typ, err := columnType(c, false, m.s.features)
	if err != nil {
		return "", err
	}
	q := fmt.Sprintf("ALTER TABLE %s.%s ADD COLUMN %s %s", quote(ct.DB), quote(ct.Name), quote(c.Name), typ)
	return q, m.s.exec(ctx, q)
}

func (m migrator) RefreshCopyView(ctx context.Context, t *sink.Table) error {
	m.s.forget(t.Database, t.Name)
	return m.s.refreshView(ctx, t.Database, t.Name)
}
