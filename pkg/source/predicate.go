package source

import "strings"

// Render turns canonical key value v of key column col into SQL: a placeholder (appending the
// argument) or a literal.
type Render func(col int, v string) string

// Predicate builds a WHERE condition for r over the (quoted) key columns names. The
// lexicographic comparison of tuples is spelled out with OR/AND because MariaDB does not use an
// index for row-constructor comparisons. ClickHouse reads the same text.
func (r KeyRange) Predicate(names []string, render Render) string {
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
func tupleCompare(names []string, vals Key, op string, orEqual bool, render Render) string {
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

// KeysPredicate matches exactly the given keys.
func KeysPredicate(names []string, keys []Key, render Render) string {
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

// KeyLookupNames returns, per key column, what an exact key lookup compares with the canonical
// key value: the column itself (indexed; the value is converted back by the placeholder or
// literal), except for floats, whose canonical text does not convert back to the stored value.
func KeyLookupNames(names, exprs []string, kinds []Kind) []string {
	out := make([]string, len(names))
	for i := range names {
		out[i] = names[i]
		if kinds[i].IsFloat() {
			out[i] = exprs[i]
		}
	}
	return out
}
