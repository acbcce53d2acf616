package chsink

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

var timeNow = func() time.Time { return time.Now().UTC() }

// alter translates ALTER TABLE column changes: ADD/DROP/MODIFY/CHANGE/RENAME COLUMN become
// their ClickHouse forms (types via CHType, always Nullable because key columns cannot change);
// index, constraint and option changes are ignored; primary key changes halt. Each statement
// first checks the current columns, so repeating it is harmless.
func (s *Sink) alter(ctx context.Context, st *ast.AlterTableStmt, d *sink.DDL) ([][2]string, error) {
	t := s.name(st.Table, d.Database)
	ct, err := s.loadTable(ctx, s.copyDB(t[0]), t[1])
	if errors.Is(err, sink.ErrNoCopyTable) {
		return nil, s.missingAlterTable(ctx, st, d, t)
	}
	if err != nil {
		return nil, err
	}
	if ct.RowKey && sink.AlterChangesColumns(st) {
		return nil, &sink.HaltError{DDL: *d, Reason: sink.RowKeyedAlterReason(ct.DB, ct.Name)}
	}
	p := &alterPlan{tbl: quote(ct.DB) + "." + quote(ct.Name), touched: [][2]string{t}}
	for _, sp := range st.Specs {
		if err := s.alterSpec(ctx, ct, sp, d, p); err != nil {
			return nil, &sink.HaltError{DDL: *d, Reason: err.Error()}
		}
	}
	for _, q := range p.stmts { // in clause order; a RENAME TO moves later clauses to the new name
		if err := s.exec(ctx, q); err != nil {
			return nil, err
		}
	}
	return p.touched, nil
}

// missingAlterTable halts an ALTER TABLE whose copy table does not exist, unless a RENAME TO
// clause of it already moved the table (a repeated run): recording it as applied would lose the
// change for a copy table created later from older rows or a backfill.
func (s *Sink) missingAlterTable(ctx context.Context, st *ast.AlterTableStmt, d *sink.DDL, t [2]string) error {
	changes := false
	for _, sp := range st.Specs {
		switch sp.Tp {
		case ast.AlterTableAddColumns, ast.AlterTableModifyColumn, ast.AlterTableChangeColumn, ast.AlterTableDropColumn,
			ast.AlterTableRenameColumn, ast.AlterTableDropPrimaryKey:
			changes = true
		case ast.AlterTableAddConstraint:
			changes = changes || (sp.Constraint != nil && sp.Constraint.Tp == ast.ConstraintPrimaryKey)
		}
		if sp.Tp == ast.AlterTableRenameTable {
			changes = true
			to := s.name(sp.NewTable, d.Database)
			if _, err := s.loadTable(ctx, s.copyDB(to[0]), to[1]); err == nil {
				return nil
			}
		}
	}
	if !changes { // index and option changes: nothing the copy carries
		return nil
	}
	return &sink.HaltError{DDL: *d, Reason: sink.MissingAlterTableReason(s.copyDB(t[0]), t[1])}
}

// alterPlan accumulates the ClickHouse statements of one ALTER TABLE.
type alterPlan struct {
	tbl     string // current qualified copy table name
	stmts   []string
	touched [][2]string
}

func (p *alterPlan) add(clauses ...string) {
	for _, c := range clauses {
		p.stmts = append(p.stmts, "ALTER TABLE "+p.tbl+" "+c)
	}
}

// alterSpec translates one ALTER TABLE clause; an error means it cannot be translated.
func (s *Sink) alterSpec(ctx context.Context, ct *copyTable, sp *ast.AlterTableSpec, d *sink.DDL, p *alterPlan) error {
	var q []string
	var err error
	switch sp.Tp {
	case ast.AlterTableAddColumns, ast.AlterTableModifyColumn:
		q, err = s.columnChanges(ct, sp, "", d)
	case ast.AlterTableChangeColumn:
		q, err = s.columnChanges(ct, sp, sp.OldColumnName.Name.O, d)
	case ast.AlterTableDropColumn:
		if _, ok := ct.Types[sp.OldColumnName.Name.O]; ok {
			q = []string{"DROP COLUMN " + quote(sp.OldColumnName.Name.O)}
		}
	case ast.AlterTableRenameColumn:
		q, err = s.renameColumn(ct, sp.OldColumnName.Name.O, sp.NewColumnName.Name.O)
	case ast.AlterTableRenameTable:
		to := s.name(sp.NewTable, d.Database)
		if _, err := s.loadTable(ctx, s.copyDB(to[0]), to[1]); err != nil { // not renamed yet
			p.stmts = append(p.stmts, fmt.Sprintf("RENAME TABLE %s TO %s.%s", p.tbl, quote(s.copyDB(to[0])), quote(to[1])))
		}
		p.tbl = quote(s.copyDB(to[0])) + "." + quote(to[1])
		p.touched = append(p.touched, to)
	case ast.AlterTableAddConstraint:
		if sp.Constraint != nil && sp.Constraint.Tp == ast.ConstraintPrimaryKey {
			err = fmt.Errorf("changing the primary key (the ORDER BY of the copy) is not translated")
		}
	case ast.AlterTableDropPrimaryKey:
		err = fmt.Errorf("dropping the primary key (the ORDER BY of the copy) is not translated")
	case ast.AlterTableAlterColumn, ast.AlterTableDropIndex, ast.AlterTableDropForeignKey,
		ast.AlterTableRenameIndex, ast.AlterTableOption, ast.AlterTableLock, ast.AlterTableAlgorithm,
		ast.AlterTableForce, ast.AlterTableAlterCheck, ast.AlterTableDropCheck, ast.AlterTableIndexInvisible:
		// defaults, indexes, constraints and options are not carried by the copy
	default:
		err = fmt.Errorf("ALTER TABLE clause type %d is not translated", sp.Tp)
	}
	p.add(q...)
	return err
}

// columnChanges handles ADD/MODIFY (oldName "") and CHANGE (rename + retype) of columns. An
// added column is Nullable only if the source column is, and carries the source's DEFAULT (or
// the implicit default of a NOT NULL column) so that the rows the copy already has read as the
// source's existing rows do; a modified column stays Nullable once it is.
func (s *Sink) columnChanges(ct *copyTable, sp *ast.AlterTableSpec, oldName string, d *sink.DDL) ([]string, error) {
	var out []string
	for _, c := range sp.NewColumns {
		name := c.Name.Name.O
		base, err := CHType(mysqlTypeOf(c), s.features)
		if err != nil {
			return nil, err
		}
		def, err := sink.AddedDefaultOf(c)
		if err != nil {
			return nil, err
		}
		if oldName != "" && oldName != name {
			r, err := s.renameColumn(ct, oldName, name)
			if err != nil {
				return nil, err
			}
			out = append(out, r...)
			ct.Types[name] = ct.Types[oldName]
		}
		cur, exists := ct.Types[name]
		typ := base
		if !def.NotNull || strings.HasPrefix(cur, "Nullable(") {
			typ = "Nullable(" + base + ")"
		}
		switch {
		case sp.Tp == ast.AlterTableAddColumns && !exists:
			out = append(out, fmt.Sprintf("ADD COLUMN %s %s%s", quote(name), typ, chDefault(def, typ, base, d)))
		case sp.Tp == ast.AlterTableAddColumns:
			// already added (repeated statement)
		case !exists:
			return nil, fmt.Errorf("column %s to modify is not in the copy", name)
		case cur != typ:
			out = append(out, fmt.Sprintf("MODIFY COLUMN %s %s", quote(name), typ))
		}
	}
	return out, nil
}

// chDefault renders the DEFAULT clause of an added column: the source's default converted the
// way row values are (zero and out-of-range dates clamped), CURRENT_TIMESTAMP as the time the
// statement ran at the source (the apply time if the event has none), nothing for NULL.
func chDefault(def sink.AddedDefault, typ, base string, d *sink.DDL) string {
	v := def.Value
	if def.Now {
		at := d.Time
		if at.IsZero() {
			at = timeNow()
		}
		txt := at.UTC().Format("2006-01-02 15:04:05")
		v = &txt
	}
	if v == nil {
		return ""
	}
	txt := *v
	if lit, ok := floatLiteral(txt, base); ok {
		return fmt.Sprintf(" DEFAULT CAST(%s AS %s)", lit, typ)
	}
	if base == "Date" || base == "Date32" || strings.HasPrefix(base, "DateTime") {
		lo, hi := timeRange(base)
		if t, err := parseTime(txt, lo, hi); err == nil {
			// Date and DateTime as numbers: servers before 20.x parse date text only up to
			// 2105-12-31 (2149-06-06 became 1970-01-01) although the types hold more.
			switch base {
			case "Date":
				return fmt.Sprintf(" DEFAULT CAST(toUInt16(%d) AS %s)", t.Unix()/86400, typ)
			case "DateTime('UTC')":
				return fmt.Sprintf(" DEFAULT CAST(toUInt32(%d) AS %s)", t.Unix(), typ)
			}
			txt = t.Format(defaultLayout(base))
		}
	}
	return fmt.Sprintf(" DEFAULT CAST(%s AS %s)", QuoteString(txt), typ)
}

// floatLiteral renders a FLOAT or DOUBLE default as its exact bits: ClickHouse's text-to-float
// parsing is not exact (18.16 reads CAST('9.32327e+07' AS Float32) as 93232696, one step below
// the 93232704 MariaDB stores, found by internal/difftest). The value is rounded as MariaDB does
// it, to a double first and then to a float.
func floatLiteral(txt, base string) (string, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(txt), 64)
	if err != nil {
		return "", false
	}
	switch base {
	case "Float32":
		b := binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(f)))
		return fmt.Sprintf("reinterpretAsFloat32(unhex('%x'))", b), true
	case "Float64":
		b := binary.LittleEndian.AppendUint64(nil, math.Float64bits(f))
		return fmt.Sprintf("reinterpretAsFloat64(unhex('%x'))", b), true
	}
	return "", false
}

// defaultLayout is the text form CAST accepts for Date32 and DateTime64 (Date and DateTime
// defaults are numbers: a fraction in DateTime text halted the replayer on 18.16).
func defaultLayout(base string) string {
	if base == "Date32" {
		return "2006-01-02"
	}
	return "2006-01-02 15:04:05.999999"
}

func (s *Sink) renameColumn(ct *copyTable, from, to string) ([]string, error) {
	if _, done := ct.Types[to]; done {
		return nil, nil
	}
	if !s.features.RenameColumn {
		return nil, fmt.Errorf("RENAME COLUMN %s TO %s needs ClickHouse 20.4+, this server is %s: "+
			"add column %s, copy the data with INSERT ... SELECT, drop %s and recreate the view", from, to, s.version, to, from)
	}
	return []string{fmt.Sprintf("RENAME COLUMN %s TO %s", quote(from), quote(to))}, nil
}

// mysqlTypeOf renders a parsed column definition's type in SHOW CREATE form.
func mysqlTypeOf(c *ast.ColumnDef) string {
	s := sink.ColumnTypeOf(c)
	if ct, err := event.ParseMySQLType(s); err == nil {
		return ct.String()
	}
	return s
}
