package chsink

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

func TestCHType(t *testing.T) {
	old, cur := FeaturesOf(18, 16), FeaturesOf(24, 8)
	for _, tc := range []struct {
		mysql    string
		old, cur string
	}{
		{"bigint(20) unsigned", "UInt64", "UInt64"},
		{"int(11)", "Int32", "Int32"},
		{"smallint(5) unsigned", "UInt16", "UInt16"},
		{"tinyint(1)", "Int8", "Int8"},
		{"decimal(12,2)", "Decimal(12, 2)", "Decimal(12, 2)"},
		{"decimal(65,4)", "String", "String"},
		{"double", "Float64", "Float64"},
		{"float", "Float32", "Float32"},
		{"datetime(3)", "DateTime('UTC')", "DateTime64(3, 'UTC')"},
		{"timestamp(6)", "DateTime('UTC')", "DateTime64(6, 'UTC')"},
		{"datetime", "DateTime('UTC')", "DateTime64(0, 'UTC')"},
		{"timestamp", "DateTime('UTC')", "DateTime('UTC')"},
		{"date", "Date", "Date32"},
		{"time(3)", "String", "String"},
		{"year(4)", "UInt16", "UInt16"},
		{"bit(8)", "UInt64", "UInt64"},
		{"json", "String", "String"},
		{"enum('a','b')", "String", "String"},
		{"set('a','b')", "String", "String"},
		{"varbinary(16)", "String", "String"},
		{"longtext", "String", "String"},
	} {
		t.Run(tc.mysql, func(t *testing.T) {
			for _, f := range []struct {
				f    Features
				want string
			}{{old, tc.old}, {cur, tc.cur}} {
				got, err := CHType(tc.mysql, f.f)
				if err != nil || got != f.want {
					t.Errorf("CHType(%q, %+v) = %q, %v; want %q", tc.mysql, f.f, got, err, f.want)
				}
			}
		})
	}
}

func TestConverters(t *testing.T) {
	for _, tc := range []struct {
		ch, mysql, in string
		want          any
		bad           bool
	}{
		{"UInt64", "bigint(20) unsigned", "18446744073709551615", uint64(18446744073709551615), false},
		{"Nullable(Int8)", "tinyint(4)", "-128", int8(-128), false},
		{"Int8", "tinyint(4)", "128", nil, true},
		{"UInt64", "bit(8)", "255", uint64(255), false},
		{"String", "varbinary(4)", "\u00ff\u0000a", "\xff\x00a", false},
		{"String", "varbinary(4)", "€", nil, true},
		{"Nullable(String)", "geometry", "\u00ff\u0001", "\xff\x01", false},
		{"String", "json", "€", "€", false},
		{"Nullable(DateTime('UTC'))", "datetime(3)", "2024-02-29 23:59:59.999", time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC), false}, // DateTime holds seconds
		{"Date", "date", "0000-00-00", time.Unix(0, 0).UTC(), false},
		{"Date", "date", "1965-03-01", time.Unix(0, 0).UTC(), false},
		{"Decimal(12, 2)", "decimal(12,2)", "-0.01", decimal.RequireFromString("-0.01"), false},
		{"Nullable(Decimal(12, 2))", "decimal(12,2)", "12.345", decimal.RequireFromString("12.34"), false}, // truncated, as clickhouse-go does
		{"Decimal(38, 10)", "decimal(38,10)", "-1.5", decimal.RequireFromString("-1.5"), false},
	} {
		t.Run(tc.ch+"/"+tc.in, func(t *testing.T) {
			conv, err := converterFor(tc.ch, tc.mysql)
			if err != nil {
				t.Fatal(err)
			}
			got, err := conv(&tc.in)
			if tc.bad {
				if !errors.Is(err, sink.ErrBadRow) {
					t.Fatalf("conv(%q) = %v, %v; want ErrBadRow", tc.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if gd, ok := got.(decimal.Decimal); ok {
				if !gd.Equal(tc.want.(decimal.Decimal)) {
					t.Fatalf("conv(%q) = %v, want %v", tc.in, gd, tc.want)
				}
				return
			}
			if gt, ok := got.(time.Time); ok {
				if !gt.Equal(tc.want.(time.Time)) {
					t.Fatalf("conv(%q) = %v, want %v", tc.in, gt, tc.want)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("conv(%q) = %#v, want %#v", tc.in, got, tc.want)
			}
		})
	}
	conv, _ := converterFor("UInt64", "bigint(20) unsigned")
	if _, err := conv(nil); !errors.Is(err, sink.ErrBadRow) {
		t.Fatalf("NULL into a key column: %v, want ErrBadRow", err)
	}
}

// TestParseTimePartialDates: dates with a zero month or day, which MariaDB's default sql_mode
// accepts, halted the ClickHouse replayer ("day out of range"); their zero parts become 01.
func TestParseTimePartialDates(t *testing.T) {
	lo, hi := timeRange("DateTime('UTC')")
	for _, tc := range []struct{ in, want string }{
		{"2020-05-00", "2020-05-01 00:00:00"},
		{"2020-00-00", "2020-01-01 00:00:00"},
		{"2020-00-15 10:05:17.966390", "2020-01-15 10:05:17"},
		{"2020-05-00 10:05:17", "2020-05-01 10:05:17"},
		{"0000-00-00 00:00:00", "1970-01-01 00:00:00"},
		{"2020-05-17 10:05:17", "2020-05-17 10:05:17"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseTime(tc.in, lo, hi)
			if err != nil {
				t.Fatalf("parseTime(%q): %v", tc.in, err)
			}
			if s := got.Truncate(time.Second).Format("2006-01-02 15:04:05"); s != tc.want {
				t.Fatalf("parseTime(%q) = %s, want %s", tc.in, s, tc.want)
			}
		})
	}
}

// TestParseTimeClamps: a value past either end of the type's range, fraction included, becomes
// the end itself (whole seconds); a value inside keeps its fraction.
func TestParseTimeClamps(t *testing.T) {
	lo, hi := timeRange("DateTime64(6)")
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2299-12-31 23:59:59.5", hi},
		{"2299-12-31 23:59:59", hi},
		{"2300-01-01", hi},
		{"1899-12-31 23:59:59.9", lo},
		{"1900-01-01 00:00:00.25", lo.Add(250 * time.Millisecond)},
		{"2000-02-29 12:00:00.000001", time.Date(2000, 2, 29, 12, 0, 0, 1000, time.UTC)},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseTime(tc.in, lo, hi)
			if err != nil || !got.Equal(tc.want) {
				t.Fatalf("parseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}
