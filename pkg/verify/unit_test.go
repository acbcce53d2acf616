package verify

import (
	"sort"
	"strings"
	"testing"
)

func TestKeyRangePredicate(t *testing.T) {
	lit := func(_ int, v string) string { return v }
	for _, tc := range []struct {
		name  string
		r     keyRange
		names []string
		want  string
	}{
		{"unbounded", keyRange{}, []string{"a"}, "1 = 1"},
		{"single lower", keyRange{Lo: key{"5"}}, []string{"a"}, "(a > 5)"},
		{"single both", keyRange{Lo: key{"5"}, Hi: key{"9"}}, []string{"a"}, "(a > 5) AND (a < 9 OR a = 9)"},
		{"composite", keyRange{Lo: key{"1", "2"}, Hi: key{"3", "4"}}, []string{"a", "b"},
			"(a > 1 OR a = 1 AND b > 2) AND (a < 3 OR a = 3 AND b < 4 OR a = 3 AND b = 4)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.predicate(tc.names, lit); got != tc.want {
				t.Fatalf("predicate = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCHLiteral(t *testing.T) {
	for _, tc := range []struct{ typ, v, want string }{
		{"UInt64", "18446744073709551615", "18446744073709551615"},
		{"Decimal(12, 2)", "-12.30", "-12.30"},
		{"UInt64", "1; DROP TABLE x", "'1; DROP TABLE x'"},
		{"String", `it's \ here`, `'it\'s \\ here'`},
		{"Nullable(Int32)", "7", "7"},
	} {
		if got := chLiteral(tc.typ, tc.v); got != tc.want {
			t.Errorf("chLiteral(%q, %q) = %q, want %q", tc.typ, tc.v, got, tc.want)
		}
	}
}

func TestDiffHashes(t *testing.T) {
	kh := func(k string, h uint64) keyHash { return keyHash{Key: key{k}, Hash: h} }
	src := map[string]keyHash{"1": kh("1", 10), "2": kh("2", 20), "3": kh("3", 30)}
	cp := map[string]keyHash{"1": kh("1", 10), "2": kh("2", 21), "4": kh("4", 40)}
	var got []string
	for _, d := range diffHashes(src, cp) {
		got = append(got, string(d.Kind)+":"+d.Key[0])
	}
	sort.Strings(got)
	if want := "changed:2 extra:4 missing:3"; strings.Join(got, " ") != want {
		t.Fatalf("diffHashes = %v, want %s", got, want)
	}
}

func TestCanonicalExpressions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		c         column
		chType    string
		wantMySQL string
		wantCH    string
	}{
		{"datetime kept", column{Name: "t", Kind: kindDateTime, FSP: 3, ColFSP: 3}, "DateTime64(3, 'UTC')", "CAST(`t` AS CHAR)", "substring(toString(`t`, 'UTC'), 1, 23)"},
		{"datetime to seconds", column{Name: "t", Kind: kindDateTime, FSP: 0, ColFSP: 3}, "Nullable(DateTime('UTC'))", "LEFT(CAST(`t` AS CHAR), 19)", "toString(`t`, 'UTC')"},
		{"bit", column{Name: "b", Kind: kindBit}, "UInt64", "CAST(`b` + 0 AS CHAR)", "toString(`b`)"},
		{"binary", column{Name: "x", Kind: kindBinary}, "String", "HEX(`x`)", "hex(`x`)"},
		{"latin1 text", column{Name: "s", Kind: kindText, Convert: true}, "String", "CONVERT(`s` USING utf8mb4)", "toString(`s`)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mysqlExpr(tc.c); got != tc.wantMySQL {
				t.Errorf("mysqlExpr = %q, want %q", got, tc.wantMySQL)
			}
			if got := chExpr(tc.c, tc.chType); got != tc.wantCH {
				t.Errorf("chExpr = %q, want %q", got, tc.wantCH)
			}
		})
	}
	if got := chKeepsFSP("Nullable(DateTime('UTC'))", 3); got != 0 {
		t.Errorf("chKeepsFSP(DateTime) = %d, want 0", got)
	}
	if got := chKeepsFSP("DateTime64(6, 'UTC')", 3); got != 3 {
		t.Errorf("chKeepsFSP(DateTime64(6)) for fsp 3 = %d, want 3", got)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"zero chunk", func(c *Config) { c.ChunkRows = 0 }, false},
		{"negative retries", func(c *Config) { c.Retries = -1 }, false},
		{"no parallelism", func(c *Config) { c.Parallel = 0 }, false},
	} {
		c := DefaultConfig()
		tc.mut(&c)
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v", tc.name, err)
		}
	}
}
