package event

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
)

func TestEncodeBytesAll256(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for name, in := range map[string][]byte{"all": all, "empty": {}, "ascii": []byte("abc"), "utf8": []byte("é")} {
		s := EncodeBytes(in)
		if !utf8.ValidString(s) {
			t.Fatalf("%s: not UTF-8", name)
		}
		if utf8.RuneCountInString(s) != len(in) {
			t.Fatalf("%s: %d runes for %d bytes", name, utf8.RuneCountInString(s), len(in))
		}
		out, err := DecodeBytes(s)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("%s: round trip %v, %v", name, out, err)
		}
	}
	if EncodeBytes([]byte{0xC3, 0xA9}) != "\u00c3\u00a9" {
		t.Error("bytes must map 1:1 to runes, not be read as UTF-8")
	}
}

func TestDecodeBytesRejects(t *testing.T) {
	for _, s := range []string{"\u0100", "🎁", "\xff"} {
		if _, err := DecodeBytes(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeBytes(%q) = %v, want ErrMalformed", s, err)
		}
	}
	if b, err := DecodeBytes("\ufffd"[:0] + string(utf8.RuneError)); err == nil {
		t.Errorf("U+FFFD accepted as byte: %v", b)
	}
}

func TestParseMySQLType(t *testing.T) {
	tests := []struct {
		in   string
		want ColumnType
	}{
		{"bigint(20) unsigned", ColumnType{Base: "bigint", Unsigned: true, Length: 20}},
		{"int(10) unsigned zerofill", ColumnType{Base: "int", Unsigned: true, Zerofill: true, Length: 10}},
		{"INT", ColumnType{Base: "int"}},
		{"decimal(12,2)", ColumnType{Base: "decimal", Precision: 12, Scale: 2}},
		{"decimal(65,30)", ColumnType{Base: "decimal", Precision: 65, Scale: 30}},
		{"double(7,3)", ColumnType{Base: "double", Precision: 7, Scale: 3}},
		{"datetime(3)", ColumnType{Base: "datetime", FSP: 3}},
		{"timestamp(6)", ColumnType{Base: "timestamp", FSP: 6}},
		{"time", ColumnType{Base: "time"}},
		{"varchar(255)", ColumnType{Base: "varchar", Length: 255}},
		{"binary(16)", ColumnType{Base: "binary", Length: 16}},
		{"bit(64)", ColumnType{Base: "bit", Length: 64}},
		{"enum('a','b c','it''s',',')", ColumnType{Base: "enum", Members: []string{"a", "b c", "it's", ","}}},
		{"set('x', 'y')", ColumnType{Base: "set", Members: []string{"x", "y"}}},
		{"enum('')", ColumnType{Base: "enum", Members: []string{""}}},
		{"enum('a\\\\b')", ColumnType{Base: "enum", Members: []string{"a\\b"}}},
		{"longblob", ColumnType{Base: "longblob"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMySQLType(tt.in)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
			again, err := ParseMySQLType(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("String() %q does not parse back: %+v, %v", got.String(), again, err)
			}
		})
	}
}

func TestParseMySQLTypeErrors(t *testing.T) {
	for _, in := range []string{"", "int(", "decimal(a,2)", "int(1,2,3)", "int unsigned bogus", "enum('a"} {
		if _, err := ParseMySQLType(in); err == nil {
			t.Errorf("ParseMySQLType(%q) accepted", in)
		}
	}
}

func TestColumnTypeClasses(t *testing.T) {
	tests := []struct {
		in                                           string
		integer, decimal, float, temporal, bin, text bool
		sqlType                                      int
	}{
		{"bigint(20) unsigned", true, false, false, false, false, false, JavaBigInt},
		{"bigint(20)", true, false, false, false, false, false, JavaBigInt},
		{"decimal(5,2)", false, true, false, false, false, false, JavaDecimal},
		{"double", false, false, true, false, false, false, JavaDouble},
		{"datetime(6)", false, false, false, true, false, false, JavaTimestamp},
		{"varbinary(3)", false, false, false, false, true, false, JavaBlob},
		{"longtext", false, false, false, false, false, true, JavaClob},
		{"enum('a')", false, false, false, false, false, false, JavaChar},
	}
	for _, tt := range tests {
		ct, err := ParseMySQLType(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		got := []bool{ct.IsInteger(), ct.IsDecimal(), ct.IsFloat(), ct.IsTemporal(), ct.IsBinary(), ct.IsText()}
		want := []bool{tt.integer, tt.decimal, tt.float, tt.temporal, tt.bin, tt.text}
		if !reflect.DeepEqual(got, want) || SQLTypeOf(ct) != tt.sqlType {
			t.Errorf("%s: classes %v sqlType %d, want %v %d", tt.in, got, SQLTypeOf(ct), want, tt.sqlType)
		}
	}
}
