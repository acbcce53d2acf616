package sink

import (
	"strings"
	"sync"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// TestParseDDLMariaDBCollations: DDL naming a MariaDB-only collation parses, and the copy's
// statement keeps the collation (found by internal/difftest: CREATE TABLE with a
// utf8mb3_nopad_bin column halted both replayers with "Unknown collation").
func TestParseDDLMariaDBCollations(t *testing.T) {
	for _, tc := range []struct {
		name, sql string
		keep      []string // collations the restored statement must name
	}{
		{"utf8mb3 nopad", "CREATE TABLE t (a VARCHAR(255) CHARACTER SET utf8mb3 COLLATE utf8mb3_nopad_bin)", []string{"utf8mb3_nopad_bin"}},
		{"utf8mb4 nopad", "CREATE TABLE t (a TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_nopad_ci)", []string{"utf8mb4_general_nopad_ci"}},
		{"latin1 nopad", "ALTER TABLE t ADD COLUMN b CHAR(3) CHARACTER SET latin1 COLLATE latin1_swedish_nopad_ci", []string{"latin1_swedish_nopad_ci"}},
		{"uca1400", "CREATE TABLE t (a VARCHAR(5) COLLATE utf8mb4_uca1400_ai_ci, b VARCHAR(5) COLLATE utf8mb4_uca1400_nopad_as_cs)",
			[]string{"utf8mb4_uca1400_ai_ci", "utf8mb4_uca1400_nopad_as_cs"}},
		{"table default", "CREATE TABLE t (a INT) DEFAULT CHARSET=ascii COLLATE=ascii_nopad_bin", []string{"ascii_nopad_bin"}},
		{"unknown charset stays an error", "CREATE TABLE t (a VARCHAR(5) COLLATE nosuchcs_ci)", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node, err := ParseDDL(tc.sql)
			if tc.keep == nil {
				if err == nil || !strings.Contains(err.Error(), "Unknown collation") {
					t.Fatalf("ParseDDL(%s) = %v, want an unknown-collation error", tc.sql, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDDL(%s): %v", tc.sql, err)
			}
			if _, ok := node.(ast.DDLNode); !ok {
				t.Fatalf("%T is not a DDL statement", node)
			}
			out, err := Restore(node)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.keep {
				if !strings.Contains(strings.ToLower(out), c) {
					t.Errorf("restored %q lost collation %s", out, c)
				}
			}
		})
	}
}

// TestParseDDLCollationsConcurrently registers collations while other statements parse (run
// with -race).
func TestParseDDLCollationsConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sql := "CREATE TABLE t (a VARCHAR(5) COLLATE utf8mb4_uca1400_german2_nopad_ai_ci)"
			if i%2 == 0 {
				sql = "CREATE TABLE t (a VARCHAR(5) COLLATE latin1_nopad_bin)"
			}
			if _, err := ParseDDL(sql); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
