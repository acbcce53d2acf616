package chsink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// TestColumnTypesRoundTrip writes every copy column type the sink converts to through Apply
// (typed columnar blocks) into a hand-made copy table on the real server and reads each value
// back as text: a row of values and a row of NULLs where the column allows them.
func TestColumnTypesRoundTrip(t *testing.T) {
	s, copyDB, _ := openTestSink(t)
	ctx := context.Background()
	cases := []struct {
		name, ch, mysql string
		val, want       string
		null, wantNull  string // second row: "" = NULL (expected NULL)
		expr            string // how to read the column as text ("" = toString(%s))
	}{
		{"id", "UInt64", "bigint(20) unsigned", "18446744073709551615", "18446744073709551615", "1", "1", ""},
		{"i8", "Int8", "tinyint(4)", "-128", "-128", "0", "0", ""},
		{"i16", "Nullable(Int16)", "smallint(6)", "-32768", "-32768", "", "", ""},
		{"i32", "Nullable(Int32)", "int(11)", "2147483647", "2147483647", "", "", ""},
		{"i64", "Nullable(Int64)", "bigint(20)", "-9223372036854775808", "-9223372036854775808", "", "", ""},
		{"u8", "Nullable(UInt8)", "tinyint(3) unsigned", "255", "255", "", "", ""},
		{"u16", "Nullable(UInt16)", "year(4)", "2024", "2024", "", "", ""},
		{"u32", "Nullable(UInt32)", "int(10) unsigned", "4294967295", "4294967295", "", "", ""},
		{"bits", "Nullable(UInt64)", "bit(64)", "18446744073709551615", "18446744073709551615", "", "", ""},
		{"f32", "Nullable(Float32)", "float", "1.5", "1.5", "", "", ""},
		{"f64", "Float64", "double", "-2.25", "-2.25", "1e300", "1e300", ""},
		{"d9", "Nullable(Decimal(9, 2))", "decimal(9,2)", "-1234567.89", "-1234567.89", "", "", ""},
		{"d18", "Nullable(Decimal(18, 4))", "decimal(18,4)", "12345678901234.5678", "12345678901234.5678", "", "", ""},
		// 18.16's toString garbles large Decimal128 values (its own literals too): compare instead.
		{"d38", "Nullable(Decimal(38, 10))", "decimal(38,10)", "-1234567890123456789012345678.0123456789", "1", "", "",
			"toString(%s = toDecimal128('-1234567890123456789012345678.0123456789', 10))"},
		{"d12", "Decimal(12, 2)", "decimal(12,2)", "-0.01", "-0.01", "9999999999.99", "9999999999.99", ""},
		{"dt", "Nullable(DateTime('UTC'))", "datetime", "2024-02-29 23:59:59", "2024-02-29 23:59:59", "", "", ""},
		// The epoch prints as 0000-00-00 00:00:00 on 18.16: read DateTimes as Unix seconds.
		{"dtf", "DateTime('UTC')", "datetime(3)", "2024-02-29 23:59:59.999", "1709251199", "0000-00-00 00:00:00", "0", "toString(toUInt32(%s))"},
		{"dtlo", "Nullable(DateTime('UTC'))", "timestamp", "1960-01-01 00:00:00", "0", "", "", "toString(toUInt32(%s))"},
		{"day", "Nullable(Date)", "date", "2024-02-29", "2024-02-29", "", "", ""},
		// 18.16 prints days past 2105 as 1970-01-01: read Dates as day numbers.
		{"dayhi", "Date", "date", "2200-01-01", "65535", "1970-01-02", "1", "toString(toUInt16(%s))"},
		{"str", "Nullable(String)", "varchar(20)", "héllo, 'x'", "héllo, 'x'", "", "", ""},
		{"bin", "Nullable(String)", "varbinary(4)", "\u00ff\u0000a", "\xff\x00a", "", "", ""},
		{"fs", "Nullable(FixedString(4))", "char(4)", "ab", "61620000", "", "", "hex(%s)"},
		{"lc", "LowCardinality(String)", "varchar(8)", "low", "low", "hi", "hi", ""},
	}
	var defs, sel []string
	table := &sink.Table{Database: "src", Name: "types", PK: []string{"id"}}
	row1, row2 := make([]*string, len(cases)), make([]*string, len(cases))
	for i, c := range cases {
		defs = append(defs, fmt.Sprintf("%s %s", quote(c.name), c.ch))
		expr := c.expr
		if expr == "" {
			expr = "toString(%s)"
		}
		sel = append(sel, fmt.Sprintf(expr, quote(c.name)))
		table.Columns = append(table.Columns, sink.Column{Name: c.name, MySQLType: c.mysql})
		row1[i] = &cases[i].val
		if c.null != "" {
			row2[i] = &cases[i].null
		}
	}
	ddl := fmt.Sprintf("CREATE TABLE %s.types (%s, _version UInt64, _deleted UInt8) ENGINE = ReplacingMergeTree(_version) ORDER BY id",
		quote(copyDB), strings.Join(defs, ", "))
	lc := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"allow_experimental_low_cardinality_type": 1}))
	if err := s.conn.Exec(lc, ddl); err != nil {
		t.Fatalf("%s: %v", ddl, err)
	}
	if err := s.Apply(ctx, &sink.Batch{Rows: []sink.Row{
		{Table: table, Op: sink.OpInsert, Version: 5, Values: row1},
		{Table: table, Op: sink.OpInsert, Version: 6, Values: row2},
	}}); err != nil {
		t.Fatal(err)
	}
	q := fmt.Sprintf("SELECT %s FROM %s.types ORDER BY _version", strings.Join(sel, ", "), quote(copyDB))
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for r := 0; rows.Next(); r++ {
		got := make([]*string, len(cases))
		dest := make([]any, len(cases))
		for i := range got {
			dest[i] = &got[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			want := []string{c.want, c.wantNull}[r]
			if want == "" {
				if got[i] != nil {
					t.Errorf("row %d column %s (%s) = %q, want NULL", r, c.name, c.ch, *got[i])
				}
				continue
			}
			if got[i] == nil || *got[i] != want {
				t.Errorf("row %d column %s (%s) = %v, want %q", r, c.name, c.ch, deref(got[i]), want)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestCopyTypeChangedBehindThePlan: a copy column whose type changes outside Ferry after the
// table's plan was built is not sent in the old type's wire format (which the server could
// misread as the new type): that insert fails, not as a bad row, the plan is dropped, and
// the next Apply re-reads the copy and writes the value exactly.
func TestCopyTypeChangedBehindThePlan(t *testing.T) {
	s, copyDB, _ := openTestSink(t)
	ctx := context.Background()
	table := &sink.Table{Database: "src", Name: "retyped", PK: []string{"id"},
		Columns: []sink.Column{{Name: "id", MySQLType: "bigint(20) unsigned"}, {Name: "amount", MySQLType: "decimal(12,2)"}}}
	ddl := fmt.Sprintf("CREATE TABLE %s.retyped (id UInt64, amount Nullable(Decimal(12, 2)), _version UInt64, _deleted UInt8) "+
		"ENGINE = ReplacingMergeTree(_version) ORDER BY id", quote(copyDB))
	if err := s.conn.Exec(ctx, ddl); err != nil {
		t.Fatal(err)
	}
	apply := func(id, amount string, version uint64) error {
		return s.Apply(ctx, &sink.Batch{Rows: []sink.Row{{Table: table, Op: sink.OpInsert, Version: version, Values: []*string{&id, &amount}}}})
	}
	if err := apply("1", "12.34", 1); err != nil {
		t.Fatal(err)
	}
	if err := s.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s.retyped MODIFY COLUMN amount Nullable(Decimal(18, 4))", quote(copyDB))); err != nil {
		t.Fatal(err)
	}
	err := apply("2", "56.78", 2)
	if err == nil || errors.Is(err, sink.ErrBadRow) || !strings.Contains(err.Error(), "Decimal(18, 4)") {
		t.Fatalf("apply after the type change = %v, want a refusal naming the new type (not ErrBadRow)", err)
	}
	if err := apply("2", "56.78", 2); err != nil {
		t.Fatalf("apply after the plan was dropped: %v", err)
	}
	var got string
	q := fmt.Sprintf("SELECT toString(amount) FROM %s.retyped FINAL WHERE id = 2", quote(copyDB))
	if err := s.conn.QueryRow(ctx, q).Scan(&got); err != nil || got != "56.7800" {
		t.Fatalf("amount = %q, %v; want 56.7800", got, err)
	}
}
