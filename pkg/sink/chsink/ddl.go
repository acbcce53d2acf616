package chsink

import (
	"context"
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// ApplyDDL applies d once per version. Applied versions are recorded in the copy database's
// _ferry_ddl_applied table; within a process DDL is serialized, and every translated
// statement is written to be harmless when repeated (IF [NOT] EXISTS, column checks), so two
// replayers racing on the same version converge.
func (s *Sink) ApplyDDL(ctx context.Context, d *sink.DDL) error {
	s.ddlMu.Lock()
	defer s.ddlMu.Unlock()
	// Another replayer process may have applied this version already: cached table shapes of
	// this process are stale either way, so they are dropped whatever happens below.
	defer s.forgetAll()
	copyDB := s.copyDB(d.Database)
	if err := s.ensureDDLTable(ctx, d.Database); err != nil {
		return err
	}
	done, err := s.ddlApplied(ctx, copyDB, d.Version)
	if err != nil || done {
		return err
	}
	action, err := s.cfg.DDLPolicy.Carry(d, func() error { return s.runDDL(ctx, d) })
	if err != nil {
		return err
	}
	return s.recordDDL(ctx, copyDB, d, string(action))
}

// SkipDDL records version as handled without running anything (`replayer ddl skip`).
func (s *Sink) SkipDDL(ctx context.Context, sourceDB string, version uint64, note string) error {
	if err := s.ensureDDLTable(ctx, sourceDB); err != nil {
		return err
	}
	return s.recordDDL(ctx, s.copyDB(sourceDB), &sink.DDL{Version: version, Kind: "SKIP", Position: "operator", SQL: note}, "skip")
}

func (s *Sink) ensureDDLTable(ctx context.Context, source string) error {
	if err := s.ensureDatabases(ctx, source); err != nil {
		return err
	}
	return s.exec(ctx, "CREATE TABLE IF NOT EXISTS "+quote(s.copyDB(source))+"."+quote(sink.DDLAppliedTable)+
		" (version UInt64, kind String, action String, position String, statement String, applied_at DateTime)"+
		" ENGINE = ReplacingMergeTree ORDER BY version")
}

func (s *Sink) ddlApplied(ctx context.Context, copyDB string, version uint64) (bool, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM "+quote(copyDB)+"."+quote(sink.DDLAppliedTable)+" WHERE version = ?", version).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read applied ddl versions: %w", err)
	}
	return n > 0, nil
}

func (s *Sink) recordDDL(ctx context.Context, copyDB string, d *sink.DDL, action string) error {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+quote(copyDB)+"."+quote(sink.DDLAppliedTable)+
		" (version, kind, action, position, statement, applied_at)")
	if err != nil {
		return fmt.Errorf("record ddl version %d: %w", d.Version, err)
	}
	if err := b.Append(d.Version, d.Kind, action, d.Position, d.SQL, timeNow()); err != nil {
		return fmt.Errorf("record ddl version %d: %w", d.Version, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("record ddl version %d: %w", d.Version, err)
	}
	return nil
}

// runDDL translates d into ClickHouse statements, runs them and refreshes the views of the
// tables it touched.
func (s *Sink) runDDL(ctx context.Context, d *sink.DDL) error {
	if d.Kind == "CINDEX" || d.Kind == "DINDEX" {
		return nil
	}
	node, err := sink.ParseDDL(d.SQL)
	if err != nil {
		return &sink.HaltError{DDL: *d, Reason: err.Error()}
	}
	touched, err := s.runStatement(ctx, node, d)
	if err != nil {
		return err
	}
	for _, t := range touched {
		s.forget(t[0], t[1])
		if err := s.refreshView(ctx, t[0], t[1]); err != nil {
			return err
		}
	}
	s.log.Info("applied ddl", "position", d.Position, "version", d.Version)
	return nil
}

// runStatement runs the translation of one parsed statement and returns the tables touched.
func (s *Sink) runStatement(ctx context.Context, node ast.StmtNode, d *sink.DDL) ([][2]string, error) {
	switch st := node.(type) {
	case *ast.CreateTableStmt:
		t, err := sink.TableFromCreate(st, d.Database)
		if err != nil {
			return nil, &sink.HaltError{DDL: *d, Reason: err.Error()}
		}
		s.forget(t.Database, t.Name)
		return nil, s.createTable(ctx, t) // creates the view too
	case *ast.AlterTableStmt:
		return s.alter(ctx, st, d)
	case *ast.RenameTableStmt:
		var touched [][2]string
		for _, tt := range st.TableToTables {
			from, to := s.name(tt.OldTable, d.Database), s.name(tt.NewTable, d.Database)
			if err := s.renameTable(ctx, from, to); err != nil {
				return nil, err
			}
			touched = append(touched, from, to)
		}
		return touched, nil
	case *ast.TruncateTableStmt:
		return nil, s.tombstoneAll(ctx, s.name(st.Table, d.Database), d.Version)
	case *ast.DropTableStmt:
		var touched [][2]string
		for _, tn := range st.Tables {
			t := s.name(tn, d.Database)
			if err := s.exec(ctx, "DROP TABLE IF EXISTS "+quote(s.copyDB(t[0]))+"."+quote(t[1])); err != nil {
				return nil, err
			}
			touched = append(touched, t)
		}
		return touched, nil
	}
	return nil, &sink.HaltError{DDL: *d, Reason: fmt.Sprintf("no ClickHouse translation for %T", node)}
}

// name returns (source database, table) of a statement's table name.
func (s *Sink) name(t *ast.TableName, defaultDB string) [2]string {
	if t.Schema.O != "" {
		return [2]string{t.Schema.O, t.Name.O}
	}
	return [2]string{defaultDB, t.Name.O}
}

func (s *Sink) renameTable(ctx context.Context, from, to [2]string) error {
	if _, err := s.loadTable(ctx, s.copyDB(to[0]), to[1]); err == nil {
		return nil // already renamed
	}
	return s.exec(ctx, fmt.Sprintf("RENAME TABLE %s.%s TO %s.%s", quote(s.copyDB(from[0])), quote(from[1]), quote(s.copyDB(to[0])), quote(to[1])))
}

// tombstoneAll turns TRUNCATE into inserted tombstones for every live key older than version
// (ClickHouse copies are never mutated).
func (s *Sink) tombstoneAll(ctx context.Context, t [2]string, version uint64) error {
	ct, err := s.loadTable(ctx, s.copyDB(t[0]), t[1])
	if err != nil {
		return err
	}
	keys, err := s.sortingKey(ctx, ct)
	if err != nil {
		return err
	}
	tbl := quote(ct.DB) + "." + quote(ct.Name)
	return s.exec(ctx, fmt.Sprintf("INSERT INTO %s (%s, %s, %s) SELECT %s, toUInt64(%d), toUInt8(1) FROM %s FINAL WHERE %s = 0 AND %s < %d",
		tbl, keys, versionCol, deletedCol, keys, version, tbl, deletedCol, versionCol, version))
}

func (s *Sink) sortingKey(ctx context.Context, ct *copyTable) (string, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	rows, err := s.conn.Query(ctx, "SELECT name FROM system.columns WHERE database = ? AND table = ? AND is_in_sorting_key = 1", ct.DB, ct.Name)
	if err != nil {
		return "", fmt.Errorf("read sorting key of %s.%s: %w", ct.DB, ct.Name, err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return "", err
		}
		keys = append(keys, quote(k))
	}
	if len(keys) == 0 {
		return "", fmt.Errorf("%s.%s has no sorting key", ct.DB, ct.Name)
	}
	return strings.Join(keys, ", "), rows.Err()
}
