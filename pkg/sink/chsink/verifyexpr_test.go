package chsink

import (
	"testing"

	"github.com/ferry-cdc/ferry/pkg/source"
)

func TestLiteral(t *testing.T) {
	for _, tc := range []struct{ typ, v, want string }{
		{"UInt64", "18446744073709551615", "18446744073709551615"},
		{"Decimal(12, 2)", "-12.30", "-12.30"},
		{"UInt64", "1; DROP TABLE x", "'1; DROP TABLE x'"},
		{"String", `it's \ here`, `'it\'s \\ here'`},
		{"Nullable(Int32)", "7", "7"},
	} {
		if got := literal(tc.typ, tc.v); got != tc.want {
			t.Errorf("literal(%q, %q) = %q, want %q", tc.typ, tc.v, got, tc.want)
		}
	}
}

// TestCanonicalExpressions: the source's (MariaDB) and the ClickHouse copy's canonical
// expressions of the same column.
func TestCanonicalExpressions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		c         source.Column
		chType    string
		wantMySQL string
		wantCH    string
	}{
		{"datetime kept", source.Column{Name: "t", Kind: source.KindDateTime, FSP: 3, ColFSP: 3}, "DateTime64(3, 'UTC')", "CAST(`t` AS CHAR)", "substring(toString(`t`, 'UTC'), 1, 23)"},
		{"datetime to seconds", source.Column{Name: "t", Kind: source.KindDateTime, FSP: 0, ColFSP: 3}, "Nullable(DateTime('UTC'))", "LEFT(CAST(`t` AS CHAR), 19)", "toString(`t`, 'UTC')"},
		{"bit", source.Column{Name: "b", Kind: source.KindBit}, "UInt64", "CAST(`b` + 0 AS CHAR)", "toString(`b`)"},
		{"binary", source.Column{Name: "x", Kind: source.KindBinary}, "String", "HEX(`x`)", "hex(`x`)"},
		{"latin1 text", source.Column{Name: "s", Kind: source.KindText, Convert: true}, "String", "CONVERT(`s` USING utf8mb4)", "toString(`s`)"},
		{"backslash name", source.Column{Name: `a\b`, Kind: source.KindText}, "String", "`a\\b`", "toString(`a\\\\b`)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := source.Expr(tc.c); got != tc.wantMySQL {
				t.Errorf("source.Expr = %q, want %q", got, tc.wantMySQL)
			}
			if got := canonExpr(tc.c, tc.chType); got != tc.wantCH {
				t.Errorf("canonExpr = %q, want %q", got, tc.wantCH)
			}
		})
	}
	if got := keepsFSP("Nullable(DateTime('UTC'))", 3); got != 0 {
		t.Errorf("keepsFSP(DateTime) = %d, want 0", got)
	}
	if got := keepsFSP("DateTime64(6, 'UTC')", 3); got != 3 {
		t.Errorf("keepsFSP(DateTime64(6)) for fsp 3 = %d, want 3", got)
	}
}
