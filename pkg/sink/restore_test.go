package sink

import (
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// TestRestoreKeepsStringLiterals: a DEFAULT string survives Restore and a second parse (the
// MySQL copy runs the restored statement) byte for byte, backslashes and quotes included, and
// carries no charset introducer.
func TestRestoreKeepsStringLiterals(t *testing.T) {
	for _, want := range []string{`a\b`, `\`, `it's`, "line\nbreak", `\n is not a newline`, `€\©`} {
		t.Run(want, func(t *testing.T) {
			lit := "'"
			for _, r := range want {
				switch r {
				case '\\':
					lit += `\\`
				case '\'':
					lit += `''`
				default:
					lit += string(r)
				}
			}
			n, err := ParseDDL("ALTER TABLE t ADD COLUMN c VARCHAR(30) NOT NULL DEFAULT " + lit + "'")
			if err != nil {
				t.Fatal(err)
			}
			q, err := Restore(n)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(strings.ToLower(q), "_utf8mb4'") {
				t.Errorf("restored %s has a charset introducer: MariaDB stores a TEXT default _utf8mb4'é' as 'xC3xA9'", q)
			}
			again, err := ParseDDL(q)
			if err != nil {
				t.Fatalf("restored %s: %v", q, err)
			}
			d, err := AddedDefaultOf(again.(*ast.AlterTableStmt).Specs[0].NewColumns[0])
			if err != nil || d.Value == nil || *d.Value != want {
				t.Fatalf("restored %s gives default %v (%v), want %q", q, d.Value, err, want)
			}
		})
	}
}
