package chsink

import (
	"errors"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// FuzzConverters feeds arbitrary event text to every converter: it must return a value or
// sink.ErrBadRow, never panic.
func FuzzConverters(f *testing.F) {
	pairs := [][2]string{
		{"Int8", "tinyint(4)"}, {"UInt64", "bigint(20) unsigned"}, {"Nullable(Int32)", "int(11)"},
		{"Float32", "float"}, {"Decimal(12, 2)", "decimal(12,2)"}, {"Date", "date"},
		{"DateTime('UTC')", "datetime(3)"}, {"DateTime64(3, 'UTC')", "timestamp(3)"},
		{"String", "varbinary(16)"}, {"String", "json"}, {"UInt64", "bit(8)"},
	}
	for _, s := range []string{"", "0", "-1", "18446744073709551616", "2024-02-30 25:61:61.1234567", "0000-00-00", "ÿ€", "1e309", "12.345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, p := range pairs {
			conv, err := converterFor(p[0], p[1])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conv(&in); err != nil && !errors.Is(err, sink.ErrBadRow) {
				t.Fatalf("%s/%s(%q): error %v does not wrap ErrBadRow", p[0], p[1], in, err)
			}
		}
	})
}
