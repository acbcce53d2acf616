package difftest

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestExpectedCopy(t *testing.T) {
	for _, tc := range []struct {
		name, src, chType string
		key               bool
		want              string
		rules             []string
	}{
		{"in range date", "2020-02-29", "Nullable(Date)", false, "2020-02-29", nil},
		{"date before 1970 clamped", "1969-12-31", "Nullable(Date)", false, "1970-01-01", []string{"time-clamped"}},
		{"zero date clamped", "0000-00-00", "Nullable(Date)", false, "1970-01-01", []string{"time-clamped"}},
		{"date after 2149 clamped", "9999-12-31", "Nullable(Date)", false, "2149-06-06", []string{"time-clamped"}},
		{"date32 keeps 1900", "1900-01-01", "Nullable(Date32)", false, "1900-01-01", nil},
		{"fraction dropped", "2020-01-01 10:00:00.999", "Nullable(DateTime('UTC'))", false, "2020-01-01 10:00:00",
			[]string{"fraction-dropped"}},
		{"datetime clamped high", "9999-12-31 23:59:59.999", "Nullable(DateTime('UTC'))", false, "2106-02-07 06:28:15",
			[]string{"time-clamped"}},
		{"zero datetime", "0000-00-00 00:00:00", "Nullable(DateTime('UTC'))", false, "1970-01-01 00:00:00",
			[]string{"time-clamped"}},
		{"datetime64 keeps fraction", "2020-01-01 10:00:00.999", "Nullable(DateTime64(3, 'UTC'))", false,
			"2020-01-01 10:00:00.999", nil},
		{"partial date", "2020-05-00", "Nullable(Date)", false, "2020-05-01", []string{"partial-date"}},
		{"partial datetime fraction", "2020-00-00 10:00:00.5", "Nullable(DateTime('UTC'))", false,
			"2020-01-01 10:00:00", []string{"fraction-dropped"}},
		{"partial date clamped", "1969-00-10", "Nullable(Date)", false, "1970-01-01", []string{"time-clamped"}},
		{"key column never degraded", "1960-01-01", "String", true, "1960-01-01", nil},
		{"strings never degraded", "1960-01-01", "Nullable(String)", false, "1960-01-01", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rules := expectedCopy(cell{v: tc.src}, colInfo{name: "c", key: tc.key}, tc.chType)
			if got.v != tc.want || !reflect.DeepEqual(rules, tc.rules) {
				t.Errorf("expectedCopy(%q, %s) = %q %v, want %q %v", tc.src, tc.chType, got.v, rules, tc.want, tc.rules)
			}
		})
	}
}

func TestCompareReportsEveryKind(t *testing.T) {
	cols := []colInfo{{name: "id", key: true}, {name: "d", dataType: "date"}, {name: "s", dataType: "varchar"}}
	src := &dump{rows: map[string][]cell{}}
	cp := &dump{rows: map[string][]cell{}, chTypes: []string{"Int32", "Nullable(Date)", "Nullable(String)"}}
	add := func(d *dump, vals ...cell) { d.rows[rowKey(cols, vals)] = vals }
	add(src, cell{v: "1"}, cell{v: "1960-01-01"}, cell{v: "a "})
	add(cp, cell{v: "1"}, cell{v: "1970-01-01"}, cell{v: "a"}) // clamped (allowed), trailing space lost (not)
	add(src, cell{v: "2"}, cell{null: true}, cell{v: ""})
	add(cp, cell{v: "3"}, cell{null: true}, cell{v: ""})
	res := compare("clickhouse", "t", cols, src, cp)
	want := []string{
		`clickhouse t key="1" column=s: source="a " copy="a" (expected "a ")`,
		`clickhouse t key="2": row missing in the copy`,
		`clickhouse t key="3": row in the copy is not at the source`,
	}
	if !reflect.DeepEqual(res.diffs, want) {
		t.Errorf("diffs:\n%s\nwant:\n%s", strings.Join(res.diffs, "\n"), strings.Join(want, "\n"))
	}
	if res.explained["time-clamped"] != 1 || res.rows != 2 {
		t.Errorf("explained %v rows %d, want one time-clamped of 2 rows", res.explained, res.rows)
	}
}

func TestMySQLCell(t *testing.T) {
	for _, tc := range []struct {
		typ, raw, want string
	}{
		{"float", "3.14159", "3.14159"},
		{"float", "-3.40282e38", "-3.40282e+38"},
		{"double", "0.1", "0.1"},
		{"bit", "\x01\x00", "256"},
		{"bit", "\xff\xff\xff\xff\xff\xff\xff\xff", "18446744073709551615"},
		{"year", "0000", "0"},
		{"varchar", "a ", "a "},
	} {
		if got := mysqlCell(colInfo{dataType: tc.typ}, []byte(tc.raw)); got.v != tc.want || got.null {
			t.Errorf("mysqlCell(%s, %q) = %v, want %q", tc.typ, tc.raw, got, tc.want)
		}
	}
	if got := mysqlCell(colInfo{dataType: "int"}, nil); !got.null {
		t.Errorf("mysqlCell(nil) = %v, want NULL", got)
	}
}

func TestCHCell(t *testing.T) {
	s := "x"
	var nilStr *string
	ts := time.Date(2020, 1, 2, 3, 4, 5, 123000000, time.UTC)
	for _, tc := range []struct {
		v      any
		chType string
		want   cell
	}{
		{&s, "String", cell{v: "x"}},
		{&nilStr, "Nullable(String)", cell{null: true}},
		{ptr(uint64(18446744073709551615)), "UInt64", cell{v: "18446744073709551615"}},
		{ptr(float32(3.14159)), "Float32", cell{v: "3.14159"}},
		{ptr(decimal.RequireFromString("1.5")), "Decimal(10, 2)", cell{v: "1.50"}},
		{ptr(ts), "DateTime('UTC')", cell{v: "2020-01-02 03:04:05"}},
		{ptr(ts), "DateTime64(3, 'UTC')", cell{v: "2020-01-02 03:04:05.123"}},
		{ptr(ts), "Nullable(Date)", cell{v: "2020-01-02"}},
	} {
		got, err := chCell(tc.v, tc.chType)
		if err != nil || got != tc.want {
			t.Errorf("chCell(%T, %s) = %v, %v; want %v", tc.v, tc.chType, got, err, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestQuoteUnquote(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []string{"", "a", `it's`, `back\slash`, "nul\x00x", "line\nbreak\r", "\x1a", "trail  "} {
		if got := unquote(quote(s)); got != s {
			t.Errorf("unquote(quote(%q)) = %q", s, got)
		}
	}
	for range 100 {
		lit := keyLiteral(r, colKind{text: true})
		if got := changedTextKey(r, lit); !strings.EqualFold(strings.TrimRight(unquote(got), " "), strings.TrimRight(unquote(lit), " ")) {
			t.Errorf("changedTextKey(%s) = %s: not a case or trailing-space variant", lit, got)
		}
	}
}

func TestCatalogueCoversTheTypes(t *testing.T) {
	var all []string
	for _, k := range catalogue {
		all = append(all, k.ddl)
	}
	joined := strings.Join(all, " ")
	for _, want := range []string{"TINYINT", "SMALLINT UNSIGNED", "MEDIUMINT", "BIGINT UNSIGNED", "DECIMAL(65,30)", "FLOAT",
		"DOUBLE", "BIT(64)", "CHARACTER SET latin1", "utf8mb4_bin", "BINARY(8)", "VARBINARY", "BLOB", "DATE", "DATETIME(6)",
		"TIMESTAMP(2)", "TIME(3)", "YEAR", "ENUM(", "SET(", "JSON", "TEXT"} {
		if !strings.Contains(joined, want) {
			t.Errorf("catalogue has no %s", want)
		}
	}
	shapes := 0
	for _, s := range keyShapes {
		if len(s) > 1 {
			shapes++
		}
	}
	if shapes == 0 {
		t.Error("no composite key shape")
	}
}
