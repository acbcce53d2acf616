package event

import (
	"fmt"
	"strconv"
	"strings"
)

// ColumnType is a parsed mysqlType string such as "decimal(12,2)", "bigint(20) unsigned",
// "enum('a','b')" or "datetime(3)".
type ColumnType struct {
	Base      string   // lower-case type name: "bigint", "decimal", "varchar", "enum", ...
	Unsigned  bool     // "unsigned" present
	Zerofill  bool     // "zerofill" present
	Length    int      // display width or length: char/varchar/binary/varbinary/bit/int widths (0 = absent)
	Precision int      // decimal/float/double precision (0 = absent)
	Scale     int      // decimal/float/double scale
	FSP       int      // fractional seconds of datetime/timestamp/time
	Members   []string // enum/set members, in definition order
}

// ParseMySQLType parses a column type as written in SHOW CREATE TABLE (and in Message.MySQLType).
func ParseMySQLType(s string) (ColumnType, error) {
	var ct ColumnType
	rest := strings.TrimSpace(s)
	i := strings.IndexAny(rest, "( ")
	if i < 0 {
		i = len(rest)
	}
	ct.Base = strings.ToLower(rest[:i])
	rest = rest[i:]
	if ct.Base == "" {
		return ct, fmt.Errorf("parse mysql type %q: empty type name", s)
	}
	if strings.HasPrefix(rest, "(") {
		args, after, err := splitArgs(rest)
		if err != nil {
			return ct, fmt.Errorf("parse mysql type %q: %w", s, err)
		}
		if err := ct.setArgs(args); err != nil {
			return ct, fmt.Errorf("parse mysql type %q: %w", s, err)
		}
		rest = after
	}
	for _, w := range strings.Fields(strings.ToLower(rest)) {
		switch w {
		case "unsigned":
			ct.Unsigned = true
		case "zerofill":
			ct.Zerofill = true
		case "signed":
		default:
			return ct, fmt.Errorf("parse mysql type %q: unknown attribute %q", s, w)
		}
	}
	return ct, nil
}

// splitArgs splits "(a,'b,c',d) rest" into its arguments (quotes removed, ” unescaped) and rest.
func splitArgs(s string) (args []string, rest string, err error) {
	var cur strings.Builder
	quoted, wasQuoted := false, false
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\'' && i+1 < len(s) && s[i+1] == '\'':
			cur.WriteByte('\'')
			i++
		case quoted && c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i++
		case c == '\'':
			quoted, wasQuoted = !quoted, true
		case !quoted && (c == ',' || c == ')'):
			a := cur.String()
			if !wasQuoted {
				a = strings.TrimSpace(a)
			}
			args = append(args, a)
			cur.Reset()
			wasQuoted = false
			if c == ')' {
				return args, s[i+1:], nil
			}
		case !quoted && (c == ' ' || c == '\t'):
		default:
			cur.WriteByte(c)
		}
	}
	return nil, "", fmt.Errorf("unterminated argument list")
}

func (ct *ColumnType) setArgs(args []string) error {
	if ct.Base == "enum" || ct.Base == "set" {
		ct.Members = args
		return nil
	}
	nums := make([]int, len(args))
	for i, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			return fmt.Errorf("argument %q is not a non-negative integer", a)
		}
		nums[i] = n
	}
	switch {
	case len(nums) == 2:
		ct.Precision, ct.Scale = nums[0], nums[1]
	case len(nums) != 1:
		return fmt.Errorf("expected 1 or 2 arguments, got %d", len(nums))
	case ct.Base == "datetime" || ct.Base == "timestamp" || ct.Base == "time":
		ct.FSP = nums[0]
	case ct.Base == "decimal" || ct.Base == "numeric" || ct.Base == "float" || ct.Base == "double":
		ct.Precision = nums[0]
	default:
		ct.Length = nums[0]
	}
	return nil
}

// DisplayWidth returns the display width MariaDB (and MySQL before 8.0.19) shows for an integer
// column declared without one, as SHOW CREATE TABLE and Canal's mysqlType write it:
// "bigint(20) unsigned", "int(11)", "tinyint(4)"; for YEAR it is 4. It returns 0 for other types.
// The binlog does not carry a declared width (INT(5)) or ZEROFILL, so Ferry always reports this one.
func DisplayWidth(base string, unsigned bool) int {
	w := displayWidths[base]
	if unsigned {
		return w[1]
	}
	return w[0]
}

// displayWidths holds the default widths, signed and unsigned.
var displayWidths = map[string][2]int{
	"tinyint": {4, 3}, "smallint": {6, 5}, "mediumint": {9, 8}, "int": {11, 10}, "integer": {11, 10},
	"bigint": {20, 20}, "year": {4, 4},
}

// IntegerType returns the mysqlType text of an integer (or YEAR) column with its default display
// width, as Canal reports it for MariaDB: IntegerType("bigint", true) = "bigint(20) unsigned".
func IntegerType(base string, unsigned bool) string {
	return ColumnType{Base: base, Unsigned: unsigned, Length: DisplayWidth(base, unsigned)}.String()
}

// IsInteger reports tinyint, smallint, mediumint, int, integer and bigint.
func (ct ColumnType) IsInteger() bool {
	switch ct.Base {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		return true
	}
	return false
}

// IsDecimal reports decimal and numeric (exact text values).
func (ct ColumnType) IsDecimal() bool { return ct.Base == "decimal" || ct.Base == "numeric" }

// IsFloat reports float, double and real.
func (ct ColumnType) IsFloat() bool {
	return ct.Base == "float" || ct.Base == "double" || ct.Base == "real"
}

// IsTemporal reports date, datetime, timestamp, time and year.
func (ct ColumnType) IsTemporal() bool {
	switch ct.Base {
	case "date", "datetime", "timestamp", "time", "year":
		return true
	}
	return false
}

// IsBinary reports types whose values are bytes encoded with EncodeBytes.
func (ct ColumnType) IsBinary() bool {
	switch ct.Base {
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return true
	}
	return false
}

// IsText reports character types (char, varchar, *text, json) whose values are UTF-8 text.
func (ct ColumnType) IsText() bool {
	switch ct.Base {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "json":
		return true
	}
	return false
}

// IsEnumOrSet reports enum and set (values are member strings).
func (ct ColumnType) IsEnumOrSet() bool { return ct.Base == "enum" || ct.Base == "set" }

var memberEscaper = strings.NewReplacer("'", "''", `\`, `\\`)

// String formats ct back into the SHOW CREATE form.
func (ct ColumnType) String() string {
	var b strings.Builder
	b.WriteString(ct.Base)
	switch {
	case ct.IsEnumOrSet():
		b.WriteByte('(')
		for i, m := range ct.Members {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("'" + memberEscaper.Replace(m) + "'")
		}
		b.WriteByte(')')
	case ct.Precision > 0:
		fmt.Fprintf(&b, "(%d,%d)", ct.Precision, ct.Scale)
	case ct.FSP > 0:
		fmt.Fprintf(&b, "(%d)", ct.FSP)
	case ct.Length > 0:
		fmt.Fprintf(&b, "(%d)", ct.Length)
	}
	if ct.Unsigned {
		b.WriteString(" unsigned")
	}
	if ct.Zerofill {
		b.WriteString(" zerofill")
	}
	return b.String()
}
