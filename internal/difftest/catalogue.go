package difftest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// catalogue is every column type a round draws from; each round's wide table holds all of them.
var catalogue = buildCatalogue()

func buildCatalogue() []colKind {
	var out []colKind
	for _, it := range intTypes {
		out = append(out, colKind{ddl: it.name, gen: it.gen, key: !strings.HasPrefix(it.name, "TINYINT"), notNull: true})
	}
	for _, ps := range [][2]int{{5, 0}, {10, 2}, {18, 4}, {38, 10}, {65, 30}} {
		out = append(out, colKind{ddl: fmt.Sprintf("DECIMAL(%d,%d)", ps[0], ps[1]), gen: decimalGen(ps[0], ps[1]),
			key: ps[0] == 10, notNull: true})
	}
	out = append(out,
		colKind{ddl: "FLOAT", gen: floatGen(floatVals, 6), notNull: true},
		colKind{ddl: "DOUBLE", gen: floatGen(doubleVals, 15), notNull: true})
	for _, n := range []int{1, 8, 17, 64} {
		out = append(out, colKind{ddl: fmt.Sprintf("BIT(%d)", n), gen: bitGen(n), notNull: true})
	}
	for _, s := range strTypes {
		isVar := strings.HasPrefix(s.typ, "VARCHAR") || strings.HasPrefix(s.typ, "CHAR")
		out = append(out, colKind{ddl: s.ddl(), gen: s.gen, key: isVar && s.max <= 40, text: isVar && s.max <= 40,
			notNull: isVar})
	}
	out = append(out,
		colKind{ddl: "BINARY(8)", gen: func(r *rand.Rand) string { return hexBytes(r, 1+r.IntN(8)) }, notNull: true},
		colKind{ddl: "VARBINARY(16)", gen: func(r *rand.Rand) string { return hexBytes(r, r.IntN(17)) }, key: true, notNull: true},
		colKind{ddl: "TINYBLOB", gen: func(r *rand.Rand) string { return hexBytes(r, r.IntN(40)) }},
		colKind{ddl: "BLOB", gen: func(r *rand.Rand) string { return hexBytes(r, r.IntN(2000)) }},
		colKind{ddl: "DATE", gen: dateGen, key: true, notNull: true},
		colKind{ddl: "YEAR", gen: yearGen, notNull: true},
		colKind{ddl: "ENUM('a','b','c d','É')", gen: pick("'a'", "'b'", "'c d'", "'É'"), notNull: true},
		colKind{ddl: "SET('x','y','z','ü')", gen: pick("''", "'x'", "'y,z'", "'x,y,z,ü'", "'ü'"), notNull: true},
		colKind{ddl: "JSON", gen: pick(`'{"a":1}'`, `'[]'`, `'null'`, `'"str"'`, `'{"k":[1,2.5,{"x":"é"}],"t":true}'`,
			`'  {"spaced" : 1 }'`)},
	)
	for _, fsp := range []int{0, 3, 6} {
		out = append(out, colKind{ddl: fmt.Sprintf("DATETIME(%d)", fsp), gen: datetimeGen(fsp), key: true, notNull: true},
			colKind{ddl: fmt.Sprintf("TIME(%d)", fsp), gen: timeGen(fsp), notNull: true})
	}
	for _, fsp := range []int{0, 2} {
		// TIMESTAMP is never declared NOT NULL without DEFAULT: explicit_defaults_for_timestamp
		// decides what MariaDB does with it, which is not what this test is about.
		out = append(out, colKind{ddl: fmt.Sprintf("TIMESTAMP(%d)", fsp), gen: timestampGen(fsp)})
	}
	return out
}

func bitGen(n int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		v := r.Uint64()
		if n < 64 {
			v &= 1<<n - 1
		}
		if r.IntN(6) == 0 {
			v = 1<<n - 1 // all ones (1<<64 - 1 wraps to the maximum)
		}
		return fmt.Sprintf("b'%b'", v)
	}
}

func yearGen(r *rand.Rand) string {
	switch r.IntN(6) {
	case 0:
		return "0" // the zero year 0000 (a number; the string '0' would be 2000)
	case 1:
		return "1901"
	case 2:
		return "2155"
	}
	return fmt.Sprint(1901 + r.IntN(255))
}

// dateExtremes are the range ends of MariaDB and of ClickHouse's date types, the zero date and
// partial dates with a zero month or day (MariaDB's default sql_mode accepts them; they once halted
// the ClickHouse replayer, seed 1000).
var dateExtremes = []string{"1000-01-01", "9999-12-31", "1969-12-31", "1970-01-01", "2149-06-06", "2149-06-07",
	"0000-00-00", "2020-05-00", "2020-00-00", "1969-00-10", "1900-01-01", "1899-12-31", "2106-02-07", "2299-12-31", "2300-01-01"}

// datePart returns a random date: extremes, the zero date, years 1000-9999 or mostly 1950-2100.
func datePart(r *rand.Rand) string {
	switch n := r.IntN(10); {
	case n < 2:
		return dateExtremes[r.IntN(len(dateExtremes))]
	case n < 4:
		return randomDay(r, 1000, 9999).Format("2006-01-02")
	}
	return randomDay(r, 1950, 2100).Format("2006-01-02")
}

func randomDay(r *rand.Rand, y0, y1 int) time.Time {
	return time.Date(y0+r.IntN(y1-y0+1), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
}

func dateGen(r *rand.Rand) string { return "'" + datePart(r) + "'" }

func fraction(r *rand.Rand, fsp int) string {
	if fsp == 0 {
		return ""
	}
	return "." + fmt.Sprintf("%06d", r.IntN(1000000))[:fsp]
}

func clock(r *rand.Rand) string {
	return fmt.Sprintf("%02d:%02d:%02d", r.IntN(24), r.IntN(60), r.IntN(60))
}

func datetimeGen(fsp int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		d := datePart(r)
		switch {
		case d == "0000-00-00":
			return "'0000-00-00 00:00:00'"
		case d == "9999-12-31" && r.IntN(2) == 0:
			return "'9999-12-31 23:59:59" + strings.TrimSuffix("."+strings.Repeat("9", fsp), ".") + "'"
		}
		return "'" + d + " " + clock(r) + fraction(r, fsp) + "'"
	}
}

func timestampGen(fsp int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		switch r.IntN(8) {
		case 0:
			return "'0000-00-00 00:00:00'"
		case 1:
			return "'1970-01-01 00:00:01'"
		case 2:
			return "'2038-01-19 03:14:07'"
		}
		ts := time.Unix(1+r.Int64N(1<<31-2), 0).UTC()
		return "'" + ts.Format("2006-01-02 15:04:05") + fraction(r, fsp) + "'"
	}
}

func timeGen(fsp int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		switch r.IntN(8) {
		case 0:
			return "'-838:59:59'"
		case 1:
			return "'838:59:59'"
		case 2:
			return "'00:00:00'"
		}
		sign := ""
		if r.IntN(3) == 0 {
			sign = "-"
		}
		return fmt.Sprintf("'%s%d:%02d:%02d%s'", sign, r.IntN(839), r.IntN(60), r.IntN(60), fraction(r, fsp))
	}
}
