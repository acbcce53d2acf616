package sink

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // literal values in parsed DDL
)

// ParseDDL parses one MySQL DDL statement with the TiDB parser. MariaDB-only syntax the parser
// does not know fails here; callers halt on it (the operator applies such statements by hand).
// A MariaDB-only collation is made known to the parser first (see collations.go).
func ParseDDL(sql string) (ast.StmtNode, error) {
	stmts, err := parse(sql)
	// Each round registers one unknown collation; a statement names only a few.
	for range 16 {
		name, ok := "", false
		if err != nil {
			name, ok = unknownCollation(err)
		}
		if !ok || !registerCollation(name) {
			break
		}
		stmts, err = parse(sql)
	}
	if err != nil {
		return nil, fmt.Errorf("parse ddl: %w", err)
	}
	if len(stmts) != 1 {
		return nil, fmt.Errorf("parse ddl: want one statement, got %d", len(stmts))
	}
	return stmts[0], nil
}

func parse(sql string) ([]ast.StmtNode, error) {
	parserMu.RLock()
	defer parserMu.RUnlock()
	stmts, _, err := parser.New().Parse(sql, "utf8mb4", "")
	return stmts, err
}

// Restore prints a (possibly rewritten) AST node back to SQL with backquoted names. String
// literals are written for the copy server (utf8mb4 session, backslash escapes on): backslashes
// escaped (DEFAULT 'a\\b' reached the MySQL copy as 'a\b', a backspace) and without the
// parser's charset introducer (MariaDB 10.11 stores a TEXT column's DEFAULT _utf8mb4'é' as
// 'xC3xA9'). Both found by internal/difftest.
func Restore(n ast.Node) (string, error) {
	var b strings.Builder
	flags := format.DefaultRestoreFlags | format.RestoreStringEscapeBackslash | format.RestoreStringWithoutCharset
	if err := n.Restore(format.NewRestoreCtx(flags, &b)); err != nil {
		return "", fmt.Errorf("print ddl: %w", err)
	}
	return b.String(), nil
}

// TableFromCreate extracts a Table (columns with their MySQL types, primary key) from a parsed
// CREATE TABLE; database is used when the statement does not qualify the table.
func TableFromCreate(st *ast.CreateTableStmt, database string) (*Table, error) {
	if st.ReferTable != nil || st.Select != nil {
		return nil, fmt.Errorf("CREATE TABLE ... LIKE/SELECT has no column list to translate")
	}
	t := &Table{Database: database, Name: st.Table.Name.O}
	if st.Table.Schema.O != "" {
		t.Database = st.Table.Schema.O
	}
	for _, c := range st.Cols {
		t.Columns = append(t.Columns, Column{Name: c.Name.Name.O, MySQLType: ColumnTypeOf(c)})
		for _, o := range c.Options {
			if o.Tp == ast.ColumnOptionPrimaryKey {
				t.PK = append(t.PK, c.Name.Name.O)
			}
		}
	}
	for _, con := range st.Constraints {
		if con.Tp == ast.ConstraintPrimaryKey {
			for _, k := range con.Keys {
				if k.Column == nil {
					return nil, fmt.Errorf("primary key on an expression cannot be copied")
				}
				t.PK = append(t.PK, k.Column.Name.O)
			}
		}
	}
	return t, t.Validate()
}

// ColumnTypeOf renders a parsed column definition's type as information_schema's COLUMN_TYPE
// would (the form of Message.MySQLType). The TiDB parser prints a YEAR without a width as
// "year(-1)" (unspecified length); MariaDB has only YEAR(4), so that becomes "year(4)". JSON
// columns are "json".
func ColumnTypeOf(c *ast.ColumnDef) string {
	switch c.Tp.GetType() {
	case mysql.TypeJSON:
		return "json"
	case mysql.TypeYear:
		return "year(4)"
	}
	return c.Tp.InfoSchemaStr()
}

// StripColumnConstraints removes options a copy column must not have (NOT NULL, keys,
// AUTO_INCREMENT, CHECK, REFERENCES, generated expressions), keeping type, default and comment.
// Generated columns become plain columns: their values arrive in the source rows.
func StripColumnConstraints(c *ast.ColumnDef) {
	kept := c.Options[:0]
	for _, o := range c.Options {
		switch o.Tp {
		case ast.ColumnOptionNotNull, ast.ColumnOptionPrimaryKey, ast.ColumnOptionUniqKey,
			ast.ColumnOptionAutoIncrement, ast.ColumnOptionCheck, ast.ColumnOptionReference,
			ast.ColumnOptionGenerated, ast.ColumnOptionAutoRandom:
			continue
		}
		kept = append(kept, o)
	}
	c.Options = kept
}
