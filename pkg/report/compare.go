package report

import (
	"fmt"
	"io"
	"math/big"
	"strings"
	"text/tabwriter"
)

// Rounded reports whether a column holds a value rounded by the engine (averages and rates), whose
// last digit may legitimately differ by one between engines on exact halves.
func Rounded(column string) bool {
	return strings.HasPrefix(column, "avg_") || strings.HasSuffix(column, "_rate")
}

// Compare returns the differences between two answers of the same report, one line each; nil
// means equal. Numbers are compared as exact values ("12.30" equals "12.3"), except in Rounded
// columns, which may differ by one unit in the last place of the less precise side.
func Compare(a, b *Result) []string {
	var diffs []string
	if strings.Join(a.Columns, ",") != strings.Join(b.Columns, ",") {
		return []string{fmt.Sprintf("columns differ: %v vs %v", a.Columns, b.Columns)}
	}
	if len(a.Rows) != len(b.Rows) {
		diffs = append(diffs, fmt.Sprintf("row count differs: %d vs %d", len(a.Rows), len(b.Rows)))
	}
	for r := 0; r < len(a.Rows) && r < len(b.Rows); r++ {
		for c, col := range a.Columns {
			if !sameValue(a.Rows[r][c], b.Rows[r][c], Rounded(col)) {
				diffs = append(diffs, fmt.Sprintf("row %d column %s: %s vs %s", r+1, col, show(a.Rows[r][c]), show(b.Rows[r][c])))
			}
		}
	}
	return diffs
}

func sameValue(a, b *string, rounded bool) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if *a == *b {
		return true
	}
	x, okx := numeric(*a)
	y, oky := numeric(*b)
	if !okx || !oky {
		return false
	}
	if x.Cmp(y) == 0 {
		return true
	}
	if !rounded {
		return false
	}
	// One unit in the last place of the less precise representation.
	d := min(decimals(*a), decimals(*b))
	ulp := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d)), nil))
	diff := new(big.Rat).Sub(x, y)
	return diff.Abs(diff).Cmp(ulp) <= 0
}

func show(s *string) string {
	if s == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", *s)
}

// Write prints the result as an aligned text table with a header line.
func (r *Result) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(r.Columns, "\t"))
	for _, row := range r.Rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = "NULL"
			if v != nil {
				cells[i] = *v
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
