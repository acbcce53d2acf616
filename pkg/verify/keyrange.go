package verify

import (
	"regexp"
	"strings"
)

// key is a primary key value tuple rendered as text, in key column order.
type key []string

// String joins the key values with NUL, giving a map key that cannot collide between tuples.
func (k key) String() string { return strings.Join(k, "\x00") }

// keyRange is the half-open key interval (Lo, Hi]; a nil Lo is unbounded below, a nil Hi
// unbounded above. Chunks are consecutive ranges, so together they cover every possible key:
// rows that exist only in the copy fall into some chunk too.
type keyRange struct {
	Lo, Hi key
}

// predicate builds a WHERE condition for r over the key columns names, using render to turn a
// value into SQL (a placeholder or a literal). The lexicographic comparison of tuples is spelled
// out with OR/AND because MariaDB does not use an index for row-constructor comparisons.
func (r keyRange) predicate(names []string, render func(col int, v string) string) string {
	var parts []string
	if r.Lo != nil {
		parts = append(parts, tupleCompare(names, r.Lo, ">", false, render))
	}
	if r.Hi != nil {
		parts = append(parts, tupleCompare(names, r.Hi, "<", true, render))
	}
	if len(parts) == 0 {
		return "1 = 1"
	}
	return strings.Join(parts, " AND ")
}

// tupleCompare renders (names) op (vals) lexicographically; orEqual adds the equal tuple.
func tupleCompare(names []string, vals key, op string, orEqual bool, render func(int, string) string) string {
	var ors []string
	for i := range names {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, names[j]+" = "+render(j, vals[j]))
		}
		ands = append(ands, names[i]+" "+op+" "+render(i, vals[i]))
		ors = append(ors, strings.Join(ands, " AND "))
	}
	if orEqual {
		var ands []string
		for j := range names {
			ands = append(ands, names[j]+" = "+render(j, vals[j]))
		}
		ors = append(ors, strings.Join(ands, " AND "))
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// keysPredicate matches exactly the given keys.
func keysPredicate(names []string, keys []key, render func(col int, v string) string) string {
	ors := make([]string, len(keys))
	for i, k := range keys {
		ands := make([]string, len(names))
		for j := range names {
			ands[j] = names[j] + " = " + render(j, k[j])
		}
		ors[i] = "(" + strings.Join(ands, " AND ") + ")"
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

var hexText = regexp.MustCompile(`^[0-9A-Fa-f]*$`)

var numericLiteral = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// chLiteral renders v as a ClickHouse literal for a column of type chType: numbers unquoted
// (validated), everything else as an escaped string literal (ClickHouse converts it).
func chLiteral(chType, v string) string {
	base := chBaseType(chType)
	if (strings.HasPrefix(base, "Int") || strings.HasPrefix(base, "UInt") || strings.HasPrefix(base, "Float") ||
		strings.HasPrefix(base, "Decimal")) && numericLiteral.MatchString(v) {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(v) + "'"
}
