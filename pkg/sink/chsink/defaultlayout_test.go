package chsink

import (
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// TestAddColumnTimeDefault: the DEFAULT of an added date/time column is one the copy type's
// CAST accepts and keeps (found by internal/difftest: ADD COLUMN c DATETIME(6) DEFAULT
// '2099-09-15 18:45:32.892039' halted the replayer on 18.16, "Cannot parse string ... as
// DateTime"; DATE DEFAULT '2149-06-06' gave existing rows 1970-01-01 there).
func TestAddColumnTimeDefault(t *testing.T) {
	for _, tc := range []struct{ value, base, want string }{
		{"2099-09-15 18:45:32.892039", "DateTime('UTC')", " DEFAULT CAST(toUInt32(4093181132) AS Nullable(DateTime('UTC')))"},
		{"2099-09-15 18:45:32.892039", "DateTime64(6, 'UTC')", " DEFAULT CAST('2099-09-15 18:45:32.892039' AS Nullable(DateTime64(6, 'UTC')))"},
		{"1960-01-01 00:00:00", "DateTime('UTC')", " DEFAULT CAST(toUInt32(0) AS Nullable(DateTime('UTC')))"},
		{"9999-12-31 23:59:59", "DateTime('UTC')", " DEFAULT CAST(toUInt32(4294967295) AS Nullable(DateTime('UTC')))"},
		{"0000-00-00", "Date32", " DEFAULT CAST('1900-01-01' AS Nullable(Date32))"},
		{"1960-05-05", "Date", " DEFAULT CAST(toUInt16(0) AS Nullable(Date))"},
		{"2149-06-06", "Date", " DEFAULT CAST(toUInt16(65535) AS Nullable(Date))"}, // 18.16 parses text to 2105 only
		{"2020-05-05", "Date32", " DEFAULT CAST('2020-05-05' AS Nullable(Date32))"},
	} {
		t.Run(tc.value+" "+tc.base, func(t *testing.T) {
			v := tc.value
			got := chDefault(sink.AddedDefault{Value: &v}, "Nullable("+tc.base+")", tc.base, &sink.DDL{})
			if got != tc.want {
				t.Errorf("chDefault(%q, %s) = %q, want %q", tc.value, tc.base, got, tc.want)
			}
		})
	}
}
