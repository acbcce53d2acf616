package difftest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// column is one column of a generated table.
type column struct {
	name    string
	kind    colKind
	notNull bool // declared NOT NULL (an added column): never given NULL
}

// table is the generator's model of one source table: its columns and the keys it believes are
// live (each a tuple of SQL literals, one per key column).
type table struct {
	name    string
	keyCols []column
	cols    []column // non-key columns
	keys    [][]string
}

func (t *table) allCols() []column { return append(append([]column{}, t.keyCols...), t.cols...) }

func ident(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func (t *table) createSQL() string {
	var parts, key []string
	for _, c := range t.keyCols {
		parts = append(parts, ident(c.name)+" "+c.kind.ddl+" NOT NULL")
		key = append(key, ident(c.name))
	}
	for _, c := range t.cols {
		parts = append(parts, ident(c.name)+" "+c.kind.ddl+" NULL")
	}
	parts = append(parts, "PRIMARY KEY ("+strings.Join(key, ", ")+")")
	return fmt.Sprintf("CREATE TABLE %s (\n  %s\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", ident(t.name), strings.Join(parts, ",\n  "))
}

// keyKinds are the key shapes the odd-key tables draw from (each a list of key column types).
func keyKinds() [][]colKind {
	var ints, text, other []colKind
	for _, k := range catalogue {
		switch {
		case !k.key:
		case k.text:
			text = append(text, k)
		case strings.Contains(k.ddl, "INT"):
			ints = append(ints, k)
		default:
			other = append(other, k) // VARBINARY, DATE, DATETIME(n), DECIMAL
		}
	}
	var out [][]colKind
	for _, k := range append(append([]colKind{}, text...), other...) {
		out = append(out, []colKind{k})
	}
	for i, k := range text {
		out = append(out, []colKind{ints[i%len(ints)], k}) // composite: integer + text
	}
	for i, k := range other {
		out = append(out, []colKind{k, ints[(i+3)%len(ints)]})
	}
	return out
}

var keyShapes = keyKinds()

// newTables returns a round's tables: a wide one with every catalogue type behind an integer
// key, and n tables with a random odd or composite key and a few random columns.
func newTables(r *rand.Rand, prefix string, n int) []*table {
	ints := []colKind{}
	for _, k := range catalogue {
		if k.key && strings.Contains(k.ddl, "INT") {
			ints = append(ints, k)
		}
	}
	wide := &table{name: prefix + "w", keyCols: []column{{name: "id", kind: ints[r.IntN(len(ints))]}}}
	for i, k := range catalogue {
		wide.cols = append(wide.cols, column{name: fmt.Sprintf("c%02d", i), kind: k})
	}
	out := []*table{wide}
	for i := range n {
		t := &table{name: fmt.Sprintf("%sk%d", prefix, i)}
		for j, k := range keyShapes[r.IntN(len(keyShapes))] {
			t.keyCols = append(t.keyCols, column{name: fmt.Sprintf("k%d", j), kind: k})
		}
		for j := range 3 + r.IntN(5) {
			t.cols = append(t.cols, column{name: fmt.Sprintf("v%d", j), kind: catalogue[r.IntN(len(catalogue))]})
		}
		out = append(out, t)
	}
	return out
}

// keyLiteral returns a new key value for a key column: text keys are short words of letters
// so that case-only and trailing-space changes are meaningful; other types use their generator.
func keyLiteral(r *rand.Rand, k colKind) string {
	if !k.text {
		return k.gen(r)
	}
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 1+r.IntN(8))
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	if r.IntN(5) == 0 {
		b = append(b, ' ')
	}
	return quote(string(b))
}

// changedTextKey returns a case-only or trailing-space variant of a text key literal.
func changedTextKey(r *rand.Rand, lit string) string {
	s := unquote(lit)
	switch r.IntN(3) {
	case 0:
		return quote(strings.ToUpper(s))
	case 1:
		return quote(strings.ToLower(s))
	}
	if strings.HasSuffix(s, " ") {
		return quote(strings.TrimRight(s, " "))
	}
	return quote(s + "  ")
}

// unquote reverses quote and MariaDB's QUOTE() for the escapes they write.
func unquote(lit string) string {
	s := strings.TrimSuffix(strings.TrimPrefix(lit, "'"), "'")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case '0':
			b.WriteByte(0)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'Z':
			b.WriteByte(0x1a)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
