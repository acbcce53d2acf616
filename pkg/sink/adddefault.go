package sink

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/shopspring/decimal"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// ErrExprDefault is returned (wrapped) by AddedDefaultOf for a DEFAULT that is an expression: a
// MySQL copy evaluates it itself, a ClickHouse copy cannot.
var ErrExprDefault = errors.New("DEFAULT is an expression")

// AddedDefault is what the rows that exist when a column is added get at the source, which
// writes no row events for them: the copies must give their rows the same value.
type AddedDefault struct {
	// NotNull is set for a NOT NULL (or primary key) column.
	NotNull bool
	// Value is the value existing rows get, as change-event text; nil means NULL. A NOT NULL
	// column without DEFAULT gets its type's implicit default (0, "", the first ENUM member,
	// the zero date).
	Value *string
	// Now is set for DEFAULT CURRENT_TIMESTAMP (or NOW()): existing rows get the time the
	// statement ran at the source, not the time the replayer applies it.
	Now bool
}

// AddedDefaultOf reads the nullability and default of a column definition from ADD COLUMN. It
// fails for defaults the copies cannot reproduce (expressions, AUTO_INCREMENT numbering).
func AddedDefaultOf(c *ast.ColumnDef) (AddedDefault, error) {
	var d AddedDefault
	explicit := false
	for _, o := range c.Options {
		switch o.Tp {
		case ast.ColumnOptionNotNull, ast.ColumnOptionPrimaryKey:
			d.NotNull = true
		case ast.ColumnOptionNull:
			d.NotNull = false
		case ast.ColumnOptionAutoIncrement:
			return d, fmt.Errorf("ADD COLUMN %s AUTO_INCREMENT numbers the existing rows at the source, which the copy cannot know: backfill the table after the change", c.Name.Name.O)
		case ast.ColumnOptionGenerated:
			return d, nil // values arrive with later row changes; existing rows stay NULL in the copy
		case ast.ColumnOptionDefaultValue:
			v, now, err := defaultValue(o.Expr)
			if err != nil {
				return d, fmt.Errorf("ADD COLUMN %s: %w", c.Name.Name.O, err)
			}
			v = eventText(c, bitDefault(c, o.Expr, v))
			explicit, d.Value, d.Now = true, v, now
		}
	}
	if !explicit && d.NotNull {
		ct, err := event.ParseMySQLType(ColumnTypeOf(c))
		if err != nil {
			return d, err
		}
		v := implicitDefault(ct)
		d.Value = eventText(c, &v)
	}
	return d, nil
}

// defaultValue returns the text of a DEFAULT literal (nil for NULL) or now for CURRENT_TIMESTAMP.
func defaultValue(e ast.ExprNode) (*string, bool, error) {
	switch x := e.(type) {
	case *test_driver.ValueExpr:
		if x.Kind() == test_driver.KindNull {
			return nil, false, nil
		}
		var s string
		switch v := x.GetValue().(type) {
		case string:
			s = v
		case *test_driver.MyDecimal:
			s = v.String()
		case test_driver.BinaryLiteral: // b'...', X'...', 0x...: its bytes (BIT: see bitDefault)
			s = string(v)
		case []byte:
			s = string(v)
		default:
			s = fmt.Sprint(v)
		}
		return &s, false, nil
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "current_timestamp", "now", "localtime", "localtimestamp":
			return nil, true, nil
		}
	case *ast.UnaryOperationExpr:
		if v, ok := x.V.(*test_driver.ValueExpr); ok && x.Op == opcode.Minus {
			s, _, err := defaultValue(v)
			if err == nil && s != nil {
				neg := "-" + *s
				return &neg, false, nil
			}
		}
	}
	text, _ := Restore(e)
	return nil, false, fmt.Errorf("%w the copy does not evaluate (DEFAULT %s): apply the column to the copy by hand (existing rows need its value) and skip the statement", ErrExprDefault, text)
}

// bitDefault turns the bytes of a binary literal DEFAULT (b'101', X'05') of a BIT column into
// the column's unsigned value, the form its row values take in change events. Before, such a
// default reached the ClickHouse copy as the text "0x05" and existing rows stayed NULL there
// (found by internal/difftest).
func bitDefault(c *ast.ColumnDef, e ast.ExprNode, v *string) *string {
	x, ok := e.(*test_driver.ValueExpr)
	if !ok || v == nil || c.Tp.GetType() != mysql.TypeBit {
		return v
	}
	if _, ok := x.GetValue().(test_driver.BinaryLiteral); !ok || len(*v) > 8 {
		return v
	}
	var n uint64
	for i := 0; i < len(*v); i++ {
		n = n<<8 | uint64((*v)[i])
	}
	s := strconv.FormatUint(n, 10)
	return &s
}

// eventText writes a DEFAULT literal the way the source reads the value back and change events
// carry it: TIME with the column's fraction digits ('-838:59:59' is "-838:59:59.000" in a
// TIME(3)), DECIMAL with its scale's digits ("0" is "0.00" in a DECIMAL(5,2)), CHAR without
// trailing spaces, BINARY(n) padded to n bytes, SET members in definition order. The ClickHouse copy
// stores these types as String, so the literal's own spelling showed there (found by
// internal/difftest).
func eventText(c *ast.ColumnDef, v *string) *string {
	ct, err := event.ParseMySQLType(ColumnTypeOf(c))
	if err != nil || v == nil {
		return v
	}
	s := *v
	switch ct.Base {
	case "time":
		s = timeText(s, ct.FSP)
	case "char":
		s = strings.TrimRight(s, " ")
	case "binary":
		s = padBinary(s, ct.Length)
	case "decimal", "numeric":
		if d, err := decimal.NewFromString(s); err == nil {
			s = d.StringFixed(int32(ct.Scale)) // rounded to the scale, as MariaDB stores it
		}
	case "set":
		s = setText(s, ct.Members)
	}
	return &s
}

// timeText renders "[-]h:mm:ss[.f]" as MariaDB prints a TIME(fsp): hours at least two digits,
// exactly fsp fraction digits (extra digits cut). Other spellings are returned unchanged.
func timeText(s string, fsp int) string {
	sign, rest := "", s
	if strings.HasPrefix(rest, "-") {
		sign, rest = "-", rest[1:]
	}
	clock, frac, _ := strings.Cut(rest, ".")
	parts := strings.Split(clock, ":")
	if len(parts) != 3 {
		return s
	}
	for _, p := range append(parts, frac) {
		if strings.Trim(p, "0123456789") != "" {
			return s
		}
	}
	h, err := strconv.Atoi(parts[0])
	if err != nil || len(parts[1]) != 2 || len(parts[2]) != 2 {
		return s
	}
	out := fmt.Sprintf("%s%02d:%s:%s", sign, h, parts[1], parts[2])
	if fsp > 0 {
		frac += strings.Repeat("0", fsp)
		out += "." + frac[:fsp]
	}
	return out
}

// setText orders SET members as the column defines them and drops repeats, as MariaDB stores them.
func setText(s string, members []string) string {
	in := map[string]bool{}
	for _, m := range strings.Split(s, ",") {
		in[strings.ToLower(m)] = true
	}
	var out []string
	for _, m := range members {
		if in[strings.ToLower(m)] {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return s
	}
	return strings.Join(out, ",")
}

// padBinary pads a BINARY(n) value with zero bytes to n bytes, as MariaDB stores it.
func padBinary(s string, n int) string {
	if len(s) < n {
		s += strings.Repeat("\x00", n-len(s))
	}
	return s
}

// implicitDefault is the value MariaDB gives existing rows of an added NOT NULL column without
// DEFAULT.
func implicitDefault(ct event.ColumnType) string {
	switch ct.Base {
	case "enum":
		if len(ct.Members) > 0 {
			return ct.Members[0]
		}
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric",
		"float", "double", "real", "bit", "year":
		return "0"
	case "date":
		return "0000-00-00"
	case "datetime", "timestamp":
		if ct.FSP > 0 {
			return "0000-00-00 00:00:00." + strings.Repeat("0", ct.FSP)
		}
		return "0000-00-00 00:00:00"
	case "time":
		return "00:00:00"
	case "binary":
		return padBinary("", ct.Length) // n zero bytes
	}
	return ""
}

// IsTextOrEnum reports a column definition of a character, ENUM or SET type.
func IsTextOrEnum(c *ast.ColumnDef) bool {
	ct, err := event.ParseMySQLType(ColumnTypeOf(c))
	return err == nil && (ct.IsText() || ct.IsEnumOrSet())
}
