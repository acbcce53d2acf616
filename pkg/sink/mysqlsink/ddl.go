package mysqlsink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// ddlPlan is the translation of one source DDL statement for the copy.
type ddlPlan struct {
	stmts   []string    // statements to run on the copy, in order
	touched [][2]string // (source database, table) whose cache and view must be refreshed
	// altered, for an ALTER TABLE, is the copy table it changes and renamedTo the table a
	// RENAME TO clause moves it to: one of them must exist (see missingAlterTable).
	altered, renamedTo [2]string
	// columnsChanged is set when an ALTER TABLE adds, drops or retypes columns, which a copy
	// keyed by row digest cannot follow (rowKeyedAlter).
	columnsChanged bool
	// at, when set, is the source's statement time: the statements run with SET TIMESTAMP at
	// it, so CURRENT_TIMESTAMP defaults give existing rows the source's value.
	at time.Time
}

// ApplyDDL applies d once per version: under a server-wide named lock it checks the copy's
// _ferry_ddl_applied table, runs the translated statements per the policy and records the
// version. Statements that fail because they already took effect (duplicate column, unknown
// table on drop, ...) count as applied, so a crash between running and recording is harmless.
func (s *Sink) ApplyDDL(ctx context.Context, d *sink.DDL) error {
	// Another replayer process may have applied this version already: cached table shapes of
	// this process are stale either way, so they are dropped whatever happens below.
	defer s.forget("", "")
	copyDB := s.copyDB(d.Database)
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("apply ddl: %w", err)
	}
	defer conn.Close()
	unlock, err := namedLock(ctx, conn, "ferry_ddl_"+copyDB)
	if err != nil {
		return err
	}
	defer unlock()
	if err := ensureDDLTable(ctx, conn, copyDB); err != nil {
		return err
	}
	var seen int
	err = conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quote(copyDB)+"."+quote(sink.DDLAppliedTable)+" WHERE version = ?", d.Version).Scan(&seen)
	if err != nil {
		return fmt.Errorf("read applied ddl versions: %w", err)
	}
	if seen > 0 {
		return nil
	}
	action, err := s.cfg.DDLPolicy.Carry(d, func() error { return s.runDDL(ctx, conn, d) })
	if err != nil {
		return err
	}
	return RecordDDL(ctx, conn, copyDB, d, string(action))
}

// runDDL translates and executes d, then refreshes caches and views of the tables it touched.
func (s *Sink) runDDL(ctx context.Context, conn *sql.Conn, d *sink.DDL) error {
	plan, err := s.translate(d)
	if err != nil {
		return &sink.HaltError{DDL: *d, Reason: err.Error()}
	}
	if err := s.missingAlterTable(ctx, plan, d); err != nil {
		return err
	}
	if err := s.rowKeyedAlter(ctx, plan, d); err != nil {
		return err
	}
	stmts := plan.stmts
	if !plan.at.IsZero() {
		defer conn.ExecContext(context.WithoutCancel(ctx), "SET TIMESTAMP = DEFAULT") //nolint:errcheck // best effort; the connection is closed after DDL
		stmts = append([]string{fmt.Sprintf("SET TIMESTAMP = %.6f", float64(plan.at.UnixMicro())/1e6)}, stmts...)
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			if !alreadyApplied(err) {
				return fmt.Errorf("apply ddl at %s (version %d) as %q: %w", d.Position, d.Version, q, err)
			}
			s.log.Warn("ddl already in effect in the copy", "statement", q, "err", err)
		}
	}
	for _, t := range plan.touched {
		s.forget(t[0], t[1])
		if err := s.refreshView(ctx, t[0], t[1]); err != nil {
			return err
		}
	}
	s.log.Info("applied ddl", "position", d.Position, "version", d.Version, "statements", len(plan.stmts))
	return nil
}

// alreadyApplied reports errors that mean the statement's effect is already there.
func alreadyApplied(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1050, 1051, 1060, 1091, 1054, 1146: // table exists, unknown table, dup column, can't drop, unknown column, no such table
		return true
	}
	return false
}

// translate turns a source statement into copy statements.
func (s *Sink) translate(d *sink.DDL) (*ddlPlan, error) {
	switch d.Kind {
	case "CINDEX", "DINDEX":
		return &ddlPlan{}, nil // the copy keeps only the primary key
	}
	node, err := sink.ParseDDL(d.SQL)
	if err != nil {
		return nil, err
	}
	p := &ddlPlan{}
	switch st := node.(type) {
	case *ast.CreateTableStmt:
		err = s.translateCreate(st, d, p)
	case *ast.AlterTableStmt:
		err = s.translateAlter(st, d, p)
	case *ast.RenameTableStmt:
		for _, tt := range st.TableToTables {
			p.touch(s.retarget(tt.OldTable, d.Database))
			p.touch(s.retarget(tt.NewTable, d.Database))
		}
		err = p.add(st)
	case *ast.TruncateTableStmt:
		src := s.retarget(st.Table, d.Database)
		// A TRUNCATE becomes a tombstone sweep guarded by the version, so rows replayed from
		// before the TRUNCATE stay dead and rows written after it are kept.
		p.stmts = append(p.stmts, fmt.Sprintf("UPDATE %s.%s SET %s = 1, %s = %d WHERE %s < %d",
			quote(st.Table.Schema.O), quote(st.Table.Name.O), deletedCol, versionCol, d.Version, versionCol, d.Version))
		p.touch(src)
	case *ast.DropTableStmt:
		if st.IsView {
			return nil, fmt.Errorf("DROP VIEW has no copy translation")
		}
		st.IfExists = true
		for _, t := range st.Tables {
			p.touch(s.retarget(t, d.Database))
		}
		err = p.add(st)
	case *ast.CreateIndexStmt, *ast.DropIndexStmt:
		return p, nil
	default:
		return nil, fmt.Errorf("no copy translation for %T", node)
	}
	return p, err
}

func (p *ddlPlan) add(n ast.Node) error {
	q, err := sink.Restore(n)
	if err == nil {
		p.stmts = append(p.stmts, q)
	}
	return err
}

func (p *ddlPlan) touch(t [2]string) { p.touched = append(p.touched, t) }

// retarget points a table name at the copy database and returns its (source db, table).
func (s *Sink) retarget(t *ast.TableName, defaultDB string) [2]string {
	src := t.Schema.O
	if src == "" {
		src = defaultDB
	}
	t.Schema = ast.NewCIStr(s.copyDB(src))
	return [2]string{src, t.Name.O}
}

func (s *Sink) translateCreate(st *ast.CreateTableStmt, d *sink.DDL, p *ddlPlan) error {
	t, err := sink.TableFromCreate(st, d.Database)
	if err != nil {
		return err
	}
	q, err := CopyTableSQL(s.copyDB(t.Database), t)
	if err != nil {
		return err
	}
	p.stmts = append(p.stmts, q)
	p.touch([2]string{t.Database, t.Name})
	return nil
}

// translateAlter keeps column changes and renames, drops index/constraint/option changes the
// copy does not carry, and refuses primary key changes.
func (s *Sink) translateAlter(st *ast.AlterTableStmt, d *sink.DDL, p *ddlPlan) error {
	p.altered = s.retarget(st.Table, d.Database)
	p.columnsChanged = sink.AlterChangesColumns(st)
	p.touch(p.altered)
	kept := st.Specs[:0]
	for _, sp := range st.Specs {
		switch sp.Tp {
		case ast.AlterTableAddColumns, ast.AlterTableModifyColumn, ast.AlterTableChangeColumn:
			for _, c := range sp.NewColumns {
				if sp.Tp == ast.AlterTableAddColumns {
					if err := keepAddedDefault(c, d, p); err != nil {
						return err
					}
				}
				sink.StripColumnConstraints(c)
			}
			if len(sp.NewConstraints) > 0 {
				return fmt.Errorf("ADD COLUMN with inline constraints is not translated")
			}
			kept = append(kept, sp)
		case ast.AlterTableDropColumn, ast.AlterTableRenameColumn, ast.AlterTableAlterColumn:
			kept = append(kept, sp)
		case ast.AlterTableRenameTable:
			p.renamedTo = s.retarget(sp.NewTable, d.Database)
			p.touch(p.renamedTo)
			kept = append(kept, sp)
		case ast.AlterTableAddConstraint:
			if sp.Constraint != nil && sp.Constraint.Tp == ast.ConstraintPrimaryKey {
				return fmt.Errorf("changing the primary key is not translated")
			}
		case ast.AlterTableDropPrimaryKey:
			return fmt.Errorf("dropping the primary key is not translated")
		case ast.AlterTableDropIndex, ast.AlterTableDropForeignKey, ast.AlterTableRenameIndex,
			ast.AlterTableOption, ast.AlterTableLock, ast.AlterTableAlgorithm, ast.AlterTableForce,
			ast.AlterTableAlterCheck, ast.AlterTableDropCheck, ast.AlterTableIndexInvisible:
			// not carried by the copy
		default:
			return fmt.Errorf("ALTER TABLE clause type %d is not translated", sp.Tp)
		}
	}
	st.Specs = kept
	if len(kept) == 0 {
		return nil
	}
	return p.add(st)
}

// missingAlterTable halts an ALTER TABLE whose copy table does not exist (neither under its name
// nor, after an earlier partial run, under its RENAME TO name): recording it as applied would
// lose the change for a copy table created later from older rows or a backfill.
func (s *Sink) missingAlterTable(ctx context.Context, p *ddlPlan, d *sink.DDL) error {
	if p.altered[1] == "" || len(p.stmts) == 0 {
		return nil
	}
	for _, t := range [][2]string{p.altered, p.renamedTo} {
		if t[1] == "" {
			continue
		}
		_, err := s.loadTable(ctx, s.copyDB(t[0]), t[1])
		if !errors.Is(err, sink.ErrNoCopyTable) {
			return err
		}
	}
	return &sink.HaltError{DDL: *d, Reason: sink.MissingAlterTableReason(s.copyDB(p.altered[0]), p.altered[1])}
}

// keepAddedDefault makes an added column give the copy's existing rows what the source gave
// its rows: the copy column stays nullable (tombstones and old-shape rows carry no value), so a
// NOT NULL column without DEFAULT gets its implicit default as an explicit DEFAULT, and a
// CURRENT_TIMESTAMP default runs at the source's statement time (SET TIMESTAMP, see ddlPlan).
func keepAddedDefault(c *ast.ColumnDef, d *sink.DDL, p *ddlPlan) error {
	def, err := sink.AddedDefaultOf(c)
	if errors.Is(err, sink.ErrExprDefault) {
		return nil // kept: the copy server evaluates the expression for its existing rows
	}
	if err != nil {
		return err
	}
	if def.Now {
		p.at = d.Time
		return nil
	}
	for _, o := range c.Options {
		if o.Tp == ast.ColumnOptionDefaultValue {
			return nil
		}
	}
	if def.Value != nil {
		var v any = *def.Value
		if *def.Value == "0" && !sink.IsTextOrEnum(c) {
			v = 0 // a number: the string '0' would be the character 0x30 in a BIT column
		}
		c.Options = append(c.Options, &ast.ColumnOption{Tp: ast.ColumnOptionDefaultValue, Expr: ast.NewValueExpr(v, "", "")})
	}
	return nil
}

// ensureDDLTable creates the copy's record of applied DDL versions.
func ensureDDLTable(ctx context.Context, conn *sql.Conn, copyDB string) error {
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS " + quote(copyDB) + " DEFAULT CHARACTER SET utf8mb4",
		"CREATE TABLE IF NOT EXISTS " + quote(copyDB) + "." + quote(sink.DDLAppliedTable) + ` (
  version BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  kind VARCHAR(16) NOT NULL,
  action VARCHAR(16) NOT NULL,
  position VARCHAR(255) NOT NULL,
  statement LONGTEXT NOT NULL,
  applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create %s.%s: %w", copyDB, sink.DDLAppliedTable, err)
		}
	}
	return nil
}

// RecordDDL marks d's version as handled with action ("apply", "ignore" or "skip").
func RecordDDL(ctx context.Context, conn interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, copyDB string, d *sink.DDL, action string) error {
	_, err := conn.ExecContext(ctx, "INSERT IGNORE INTO "+quote(copyDB)+"."+quote(sink.DDLAppliedTable)+
		" (version, kind, action, position, statement) VALUES (?, ?, ?, ?, ?)", d.Version, d.Kind, action, d.Position, d.SQL)
	if err != nil {
		return fmt.Errorf("record ddl version %d: %w", d.Version, err)
	}
	return nil
}

// SkipDDL records version as handled without running anything: the operator's way past a
// halted statement (`replayer ddl skip`).
func (s *Sink) SkipDDL(ctx context.Context, sourceDB string, version uint64, note string) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	copyDB := s.copyDB(sourceDB)
	if err := ensureDDLTable(ctx, conn, copyDB); err != nil {
		return err
	}
	return RecordDDL(ctx, conn, copyDB, &sink.DDL{Version: version, Kind: "SKIP", Position: "operator", SQL: note}, "skip")
}

// namedLock takes a server-wide GET_LOCK so replayer processes apply DDL one at a time.
func namedLock(ctx context.Context, conn *sql.Conn, name string) (func(), error) {
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 60)", name).Scan(&got); err != nil || got.Int64 != 1 {
		return nil, fmt.Errorf("take ddl lock %s (held by another replayer for 60 s?): %v", name, err)
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", name)
	}, nil
}
