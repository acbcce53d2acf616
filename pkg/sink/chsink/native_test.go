package chsink

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// nativeTypes are the copy types nativeColumnFor encodes itself, with a source type each.
var nativeTypes = [][2]string{
	{"Int8", "tinyint(4)"}, {"Int16", "smallint(6)"}, {"Int32", "int(11)"}, {"Int64", "bigint(20)"},
	{"UInt8", "tinyint(3) unsigned"}, {"UInt16", "smallint(5) unsigned"}, {"UInt32", "int(10) unsigned"},
	{"UInt64", "bigint(20) unsigned"}, {"Float32", "float"}, {"Float64", "double"},
	{"Decimal(9, 2)", "decimal(9,2)"}, {"Decimal(12, 2)", "decimal(12,2)"}, {"Decimal(18, 0)", "decimal(18,0)"},
	{"Decimal(18, 18)", "decimal(18,18)"}, {"Date", "date"}, {"DateTime", "datetime"},
	{"DateTime('UTC')", "datetime(3)"}, {"String", "varchar(10)"}, {"String", "varbinary(16)"},
}

// sameWire holds the native column of one copy type to clickhouse-go's column on the values
// vals (nil for NULL): both accept or both refuse each value (refusals are ErrBadRow, and
// clickhouse-go may refuse only when the block is appended), and the accepted values give
// identical wire bytes.
func sameWire(t *testing.T, chType, mysqlType string, vals []*string) {
	t.Helper()
	mkN, mkD := makers(t, chType, mysqlType)
	n, d := mkN(), mkD()
	if _, ok := n.(clickhouse.NativeColumn); !ok {
		t.Fatalf("%s: columnFor did not return a native column (%T)", chType, n)
	}
	for _, v := range vals {
		errN := mkN().add(v)
		one := mkD()
		errD := one.add(v)
		if errD == nil {
			_, _, errD = wire(chType, one)
		}
		if (errN == nil) != (errD == nil) || (errN != nil && !errors.Is(errN, sink.ErrBadRow)) {
			t.Fatalf("%s %s: native %v, clickhouse-go %v", chType, show(v), errN, errD)
		}
		if errN == nil {
			if err := errors.Join(n.add(v), d.add(v)); err != nil {
				t.Fatal(err)
			}
		}
	}
	wn, _, errN := wire(chType, n)
	wd, _, errD := wire(chType, d)
	if errN != nil || errD != nil {
		t.Fatalf("%s: encode: native %v, clickhouse-go %v", chType, errN, errD)
	}
	if !bytes.Equal(wn, wd) {
		t.Fatalf("%s: wire bytes differ:\nnative        %x\nclickhouse-go %x", chType, wn, wd)
	}
}

// makers returns the native and the clickhouse-go column makers of a copy type.
func makers(t *testing.T, chType, mysqlType string) (native, driver newColumn) {
	t.Helper()
	col := sink.Column{Name: "c", MySQLType: mysqlType}
	mt, err := col.Parsed()
	if err != nil {
		t.Fatal(err)
	}
	inner, nullable := strings.CutPrefix(chType, "Nullable(")
	if nullable {
		inner = inner[:len(inner)-1]
	}
	if native, err = columnFor(chType, col); err != nil {
		t.Fatal(err)
	}
	if driver, err = driverColumnFor(chType, inner, nullable, sink.IsBytes(mt)); err != nil {
		t.Fatal(err)
	}
	return native, driver
}

func show(v *string) string {
	if v == nil {
		return "NULL"
	}
	return "\"" + *v + "\""
}

// TestNativeColumnsMatchClickHouseGo holds the native columns to clickhouse-go's own
// encoding: for every type they cover, the same values (NULLs, bounds, odd decimal and time
// text) give the same wire bytes, and the same values are refused.
func TestNativeColumnsMatchClickHouseGo(t *testing.T) {
	texts := []string{"0", "1", "-1", "127", "-128", "255", "256", "65535", "4294967295", "9223372036854775807",
		"18446744073709551615", "-9223372036854775808", "12.5", "-0.01", "0.005", "12.345", "1e3", "1.",
		"9999999.99", "21474836.47", "21474836.48", "92233720368547758.07", "0.123456789012345678",
		"000123.4500", "-0", "2024-02-29", "2024-02-29 23:59:59.999", "0000-00-00", "1965-03-01",
		"2106-02-07 06:28:16", "2020-05-00", "2149-06-07", "1970-01-01 00:00:00.5", "", "abc", "\u00ff\u0000a", "€"}
	var vals []*string
	for i := range texts {
		vals = append(vals, &texts[i])
	}
	for _, tt := range nativeTypes {
		for _, ch := range []string{tt[0], "Nullable(" + tt[0] + ")"} {
			t.Run(ch+"/"+tt[1], func(t *testing.T) {
				var all []*string
				for _, v := range vals {
					sameWire(t, ch, tt[1], []*string{v})
					if mk, _ := makers(t, ch, tt[1]); mk().add(v) == nil {
						all = append(all, v)
					}
				}
				if strings.HasPrefix(ch, "Nullable(") {
					all = append(all, nil, all[0], nil)
				}
				sameWire(t, ch, tt[1], nil) // an empty block
				sameWire(t, ch, tt[1], all) // every accepted value in one block
			})
		}
	}
}

// FuzzNativeColumns feeds arbitrary event text to every native column type and holds it to
// clickhouse-go's column of the same type (sameWire).
func FuzzNativeColumns(f *testing.F) {
	for _, s := range []string{"0", "-1", "12.345", "1e3", "0.0000000000000000001", "9223372036854775807.5",
		"2024-02-30 25:61:61.1234567", "0000-00-00", "2106-02-07 06:28:16", "ÿ€", "-00.10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, tt := range nativeTypes {
			sameWire(t, "Nullable("+tt[0]+")", tt[1], []*string{&in, nil, &in})
		}
	})
}
