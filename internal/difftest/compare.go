package difftest

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// allowedDiff is a documented ClickHouse degradation: for a source value it returns the value
// the copy holds instead, and whether the rule applies to it at all.
type allowedDiff struct {
	name string
	doc  string // where the degradation is documented
	// expect maps the source value to the copy's value under this rule (ok=false: not affected).
	expect func(src, chType string) (string, bool)
}

// allowedDiffs are the only differences between the source and the ClickHouse copy the test
// accepts, each applying to non-key DATE/DATETIME/TIMESTAMP columns only (key columns are
// String copies of the event text, never changed). Nothing is allowed on the MySQL copy.
var allowedDiffs = []allowedDiff{
	{"time-clamped", "schemas/clickhouse-types.md:19-22 and :30-33 (non-key dates and times outside the " +
		"column type's range, and zero dates, are clamped to its range)", clamped},
	{"fraction-dropped", "schemas/clickhouse-types.md:21-22 and :30 (DATETIME(n)/TIMESTAMP(n) fractions are " +
		"lost on servers without DateTime64: whole seconds)", fractionDropped},
	{"partial-date", "schemas/clickhouse-types.md (dates with a zero month or day get 01 for the zero parts)", partialDate},
}

// timeRange is the range of a ClickHouse date or time type (schemas/clickhouse-types.md:19-22).
func timeRange(chType string) (lo, hi time.Time) {
	switch b := baseType(chType); {
	case b == "Date":
		return time.Unix(0, 0).UTC(), time.Date(2149, 6, 6, 0, 0, 0, 0, time.UTC)
	case b == "Date32" || strings.HasPrefix(b, "DateTime64"):
		return time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2299, 12, 31, 23, 59, 59, 0, time.UTC)
	}
	return time.Unix(0, 0).UTC(), time.Unix(math.MaxUint32, 0).UTC()
}

func isTimeType(chType string) bool { return strings.HasPrefix(baseType(chType), "Date") }

// sourceTime parses MariaDB date/time text; zero dates report zero=true. A partial date (zero
// month or day, not the zero date) is read with 01 for its zero parts.
func sourceTime(src string) (t time.Time, zero bool, ok bool) {
	if strings.HasPrefix(src, "0000-00-00") {
		return time.Time{}, true, true
	}
	if isPartialDate(src) {
		src = strings.Replace(strings.Replace(src[:10], "-00-", "-01-", 1), "-00", "-01", 1) + src[10:]
	}
	layout := "2006-01-02 15:04:05.999999"
	if len(src) == len("2006-01-02") {
		layout = "2006-01-02"
	}
	t, err := time.ParseInLocation(layout, src, time.UTC)
	return t, false, err == nil
}

func clamped(src, chType string) (string, bool) {
	if !isTimeType(chType) {
		return "", false
	}
	t, zero, ok := sourceTime(src)
	lo, hi := timeRange(chType)
	switch {
	case !ok:
		return "", false
	case zero || t.Before(lo):
		t = lo
	case t.After(hi):
		t = hi
	default:
		return "", false
	}
	return t.Format(timeLayout(chType)), true
}

func fractionDropped(src, chType string) (string, bool) {
	if baseType(chType) != "DateTime('UTC')" || !strings.Contains(src, ".") {
		return "", false
	}
	t, zero, ok := sourceTime(src)
	if !ok || zero { // zero dates are clamped (the rule before this one)
		return "", false
	}
	return t.Truncate(time.Second).Format(timeLayout(chType)), true
}

// isPartialDate reports whether src is date text with a zero month or day ('2020-05-00').
func isPartialDate(src string) bool {
	return len(src) >= 10 && src[4] == '-' && src[7] == '-' && (src[5:7] == "00" || src[8:10] == "00") &&
		!strings.HasPrefix(src, "0000-00-00")
}

func partialDate(src, chType string) (string, bool) {
	if !isTimeType(chType) || !isPartialDate(src) {
		return "", false
	}
	t, _, ok := sourceTime(src)
	if !ok {
		return "", false
	}
	return t.Format(timeLayout(chType)), true
}

// expectedCopy returns the value the copy must hold for src under the allowed differences (the
// source value itself when none applies) and the names of the rules that changed it.
func expectedCopy(src cell, c colInfo, chType string) (cell, []string) {
	if src.null || c.key || chType == "" {
		return src, nil
	}
	// The first rule that applies decides (a clamped value has no fraction left to drop).
	for _, a := range allowedDiffs {
		if v, ok := a.expect(src.v, chType); ok {
			return cell{v: v}, []string{a.name}
		}
	}
	return src, nil
}

// result is what comparing one table with one copy found.
type result struct {
	rows      int            // source rows compared
	diffs     []string       // unexplained differences
	explained map[string]int // differences explained by each allowed rule
}

// compare compares a copy dump with the source dump of one table, value by value.
func compare(sink, table string, cols []colInfo, src, cp *dump) result {
	res := result{rows: len(src.rows), explained: map[string]int{}}
	for _, key := range sortedKeys(src.rows) {
		sv := src.rows[key]
		cv, ok := cp.rows[key]
		if !ok {
			res.diffs = append(res.diffs, fmt.Sprintf("%s %s key=%s: row missing in the copy", sink, table, key))
			continue
		}
		for i, c := range cols {
			chType := ""
			if i < len(cp.chTypes) {
				chType = cp.chTypes[i]
			}
			want, rules := expectedCopy(sv[i], c, chType)
			switch {
			case cv[i] == sv[i]:
			case cv[i] == want && len(rules) > 0:
				for _, r := range rules {
					res.explained[r]++
				}
			case cv[i] != want:
				res.diffs = append(res.diffs, fmt.Sprintf("%s %s key=%s column=%s: source=%s copy=%s (expected %s)",
					sink, table, key, c.name, sv[i], cv[i], want))
			}
		}
	}
	for _, key := range sortedKeys(cp.rows) {
		if _, ok := src.rows[key]; !ok {
			res.diffs = append(res.diffs, fmt.Sprintf("%s %s key=%s: row in the copy is not at the source", sink, table, key))
		}
	}
	return res
}

func sortedKeys(m map[string][]cell) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
