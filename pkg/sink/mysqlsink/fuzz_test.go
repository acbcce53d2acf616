package mysqlsink

import (
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// FuzzTranslateDDL feeds arbitrary statements to the DDL translator: it returns statements or
// an error (which halts the replayer), never panics, and never targets the source database.
func FuzzTranslateDDL(f *testing.F) {
	for _, s := range []string{
		"ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 1, ADD UNIQUE KEY (c)",
		"CREATE TABLE t (id INT PRIMARY KEY, j JSON, UNIQUE KEY(j(10)))",
		"RENAME TABLE a TO b, c TO d", "TRUNCATE t", "DROP TABLE IF EXISTS a, b",
		"ALTER TABLE shop.t CHANGE a b VARCHAR(3)", "CREATE INDEX i ON t (a)", "GRANT ALL ON *.* TO x",
	} {
		f.Add(s)
	}
	s := &Sink{cfg: DefaultConfig()}
	f.Fuzz(func(t *testing.T, sql string) {
		for _, kind := range []string{"CREATE", "ALTER", "TRUNCATE", "QUERY"} {
			plan, err := s.translate(&sink.DDL{Database: "shop", Kind: kind, SQL: sql, Version: 7})
			if err != nil {
				continue
			}
			for _, tt := range plan.touched {
				if tt[0] == "" || tt[1] == "" {
					t.Fatalf("%q: touched table %v without database or name", sql, tt)
				}
			}
		}
	})
}
