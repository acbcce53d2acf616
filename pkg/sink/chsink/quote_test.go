package chsink

import (
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ferry-cdc/ferry/internal/chdb"
	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/source"
)

// quoteNames are identifiers every engine must take back unchanged through its quoting.
var quoteNames = []struct{ name, ident string }{
	{"plain", "plain"},
	{"space", "with space"},
	{"backquote", "back`tick"},
	{"backslash", `back\slash`},
	{"trailing backslash", `trailing\`},
	{"backslash before backquote", "a\\`b"},
	{"single quote", "it's"},
	{"double quote", `say "hi"`},
	{"unicode", "ünï cödé 表"},
	{"only backquotes", "``"},
}

// TestQuoteRoundTrip creates a table and a column named by each identifier through the
// dialect's one quoting function (Quote for ClickHouse, source.Quote for MariaDB/MySQL) on the
// stack's ClickHouse 18.16, on a current ClickHouse (chdb) and on MariaDB, and reads the name
// back from the engine's catalog (as hex, so the transport cannot hide a difference) and a
// value through the quoted names.
func TestQuoteRoundTrip(t *testing.T) {
	st := testenv.Get(t)
	t.Run("clickhouse-18.16", func(t *testing.T) {
		ch := openCH(t, st)
		db := st.NewClickHouseDatabase(t)
		for _, tc := range quoteNames {
			t.Run(tc.name, func(t *testing.T) {
				tbl := Quote(db) + "." + Quote(tc.ident)
				for _, q := range []string{"CREATE TABLE " + tbl + " (" + Quote(tc.ident) + " UInt8) ENGINE = Memory",
					"INSERT INTO " + tbl + " (" + Quote(tc.ident) + ") SELECT 7"} {
					if _, err := ch.Exec(q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				checkCatalog(t, tc.ident, queryColumn(t, ch, "SELECT hex(name) FROM system.columns WHERE database = "+QuoteString(db)+" AND table = "+QuoteString(tc.ident)))
				checkValue(t, queryColumn(t, ch, "SELECT toString("+Quote(tc.ident)+") FROM "+tbl))
			})
		}
	})
	t.Run("clickhouse-chdb", func(t *testing.T) {
		var steps []chdb.Step
		steps = append(steps, chdb.Step{SQL: "CREATE DATABASE IF NOT EXISTS quote_test"})
		for _, tc := range quoteNames {
			tbl := "quote_test." + Quote(tc.ident)
			steps = append(steps,
				chdb.Step{SQL: "CREATE TABLE " + tbl + " (" + Quote(tc.ident) + " UInt8) ENGINE = Memory"},
				chdb.Step{SQL: "INSERT INTO " + tbl + " (" + Quote(tc.ident) + ") SELECT 7"},
				chdb.Step{SQL: "SELECT hex(name) FROM system.columns WHERE database = 'quote_test' AND table = " + QuoteString(tc.ident), Result: true},
				chdb.Step{SQL: "SELECT toString(" + Quote(tc.ident) + ") FROM " + tbl, Result: true})
		}
		_, outs, err := chdb.Run(steps)
		if err != nil {
			t.Fatalf("current ClickHouse (chdb): %v", err)
		}
		for i, tc := range quoteNames {
			t.Run(tc.name, func(t *testing.T) {
				o := outs[1+4*i : 5+4*i]
				for j, s := range o {
					if s.Err != "" {
						t.Fatalf("%s: %s", steps[1+4*i+j].SQL, s.Err)
					}
				}
				checkCatalog(t, tc.ident, firstColumn(o[2].Rows))
				checkValue(t, firstColumn(o[3].Rows))
			})
		}
	})
	t.Run("mariadb", func(t *testing.T) {
		db := st.NewSourceDatabase(t)
		src := st.OpenSource(t, db)
		for _, tc := range quoteNames {
			t.Run(tc.name, func(t *testing.T) {
				tbl := source.QuoteTable(db, tc.ident)
				for _, q := range []string{"CREATE TABLE " + tbl + " (" + source.Quote(tc.ident) + " INT)",
					"INSERT INTO " + tbl + " (" + source.Quote(tc.ident) + ") VALUES (7)"} {
					if _, err := src.Exec(q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				checkCatalog(t, tc.ident, queryColumn(t, src, "SELECT HEX(COLUMN_NAME) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", db, tc.ident))
				checkValue(t, queryColumn(t, src, "SELECT CAST("+source.Quote(tc.ident)+" AS CHAR) FROM "+tbl))
			})
		}
	})
}

// checkCatalog fails unless the catalog returned exactly one column name, ident (hex encoded).
func checkCatalog(t *testing.T, ident string, got []string) {
	t.Helper()
	if want := strings.ToUpper(hex.EncodeToString([]byte(ident))); len(got) != 1 || strings.ToUpper(got[0]) != want {
		t.Errorf("catalog has columns %q, want one named %q (%s)", got, ident, want)
	}
}

// checkValue fails unless the value read through the quoted names is the 7 inserted.
func checkValue(t *testing.T, got []string) {
	t.Helper()
	if fmt.Sprint(got) != "[7]" {
		t.Errorf("read %v through the quoted names, want [7]", got)
	}
}

// firstColumn returns the first column of chdb result rows (NULL as "NULL").
func firstColumn(rows [][]*string) []string {
	var out []string
	for _, r := range rows {
		if len(r) > 0 && r[0] != nil {
			out = append(out, *r[0])
		} else {
			out = append(out, "NULL")
		}
	}
	return out
}

// openCH opens the stack's ClickHouse through database/sql (closed at cleanup).
func openCH(t *testing.T, st *testenv.Stack) *sql.DB {
	t.Helper()
	ch := clickhouse.OpenDB(st.ClickHouseOptions(""))
	t.Cleanup(func() { ch.Close() })
	return ch
}

func queryColumn(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}
