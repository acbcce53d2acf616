package canal

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// decimalStored encodes the decimal text s (digits, an optional '-' and '.') as MySQL stores a
// DECIMAL(prec, scale): the integer part right-aligned and the fraction left-aligned in their
// digit counts, in groups of 9 digits (decimal.go).
func decimalStored(s string, prec, scale int) []byte {
	neg := strings.HasPrefix(s, "-")
	ip, fp, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	ip = strings.TrimLeft(ip, "0")
	intg := prec - scale
	ip = strings.Repeat("0", intg-len(ip)) + ip
	fp += strings.Repeat("0", scale-len(fp))
	var out []byte
	group := func(digits string) {
		var v uint32
		for _, c := range digits {
			v = v*10 + uint32(c-'0')
		}
		n := 4
		if len(digits) < digitsPerGroup {
			n = decimalGroupBytes[len(digits)]
		}
		out = append(out, binary.BigEndian.AppendUint32(nil, v)[4-n:]...)
	}
	lead := intg % digitsPerGroup
	if lead > 0 {
		group(ip[:lead])
	}
	for i := lead; i < intg; i += digitsPerGroup {
		group(ip[i : i+digitsPerGroup])
	}
	for i := 0; i+digitsPerGroup <= scale; i += digitsPerGroup {
		group(fp[i : i+digitsPerGroup])
	}
	if rest := scale % digitsPerGroup; rest > 0 {
		group(fp[scale-rest:])
	}
	out[0] ^= 0x80
	if neg {
		for i := range out {
			out[i] ^= 0xFF
		}
	}
	return out
}

// checkRawValue compares go-mysql's text of the stored value of a one-column table (type typ,
// table map metadata meta, unsigned per the signedness metadata) with the tailer's text of the
// value rawDecoder returns. Bytes go-mysql cannot decode (it panics) must give the tailer an error.
func checkRawValue(t *testing.T, typ byte, meta uint16, unsigned bool, value []byte) {
	t.Helper()
	metaBytes := []byte{byte(meta)}
	if typ == mysql.MYSQL_TYPE_NEWDECIMAL {
		metaBytes = []byte{byte(meta >> 8), byte(meta)}
	}
	sign := byte(0)
	if unsigned {
		sign = 0x80
	}
	tm, rows := oneColumnEvents(typ, metaBytes, []byte{1, 1, sign}, value) // SIGNEDNESS: 1 byte
	want, goErr := parseOne(nil, tm, rows)
	raw, err := parseOne((&rawDecoder{}).decode, tm, rows)
	if err != nil {
		t.Fatalf("type %d meta %#x bytes %x: decoding the raw copy: %v", typ, meta, value, err)
	}
	var c column
	if _, err := c.describe(typ, meta, unsigned, nil, 0, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, err := c.format(raw)
	if goErr != nil {
		if err == nil {
			t.Fatalf("type %d meta %#x bytes %x: go-mysql panics, the tailer wrote %q and no error", typ, meta, value, got)
		}
		return
	}
	wantText, err2 := formatPlain(want)
	if err != nil || err2 != nil || got != wantText {
		t.Fatalf("type %d meta %#x unsigned %v bytes %x: tailer %q (%v), go-mysql %#v", typ, meta, unsigned, value, got, err, want)
	}
}

func TestRawDecimalMatchesGoMySQL(t *testing.T) {
	cases := []struct {
		text        string
		prec, scale int
	}{
		{"0.00", 12, 2}, {"9999999999.99", 12, 2}, {"-9999999999.99", 12, 2}, {"-0.01", 12, 2},
		{"12.30", 12, 2}, {"100.05", 12, 2}, {"0", 10, 0}, {"9999999999", 10, 0}, {"-9999999999", 10, 0},
		{"99.999", 5, 3}, {"0.001", 5, 3}, {"0.5", 1, 1}, {"-9", 1, 0}, {"123456789.123456789", 18, 9},
		{"-999999999999999999", 18, 0}, {"0.000000001", 9, 9}, {"1000000000", 10, 0}, {"0.123456789", 9, 9},
		{"1.00000000", 9, 8}, {"-0.00000001", 9, 8}, {"999999999", 9, 0}, {"12345678.9", 10, 1},
	}
	for _, tc := range cases {
		meta := uint16(tc.prec)<<8 | uint16(tc.scale)
		if decimalBytes(meta) == 0 {
			t.Fatalf("DECIMAL(%d,%d) is wider than the tailer decodes", tc.prec, tc.scale)
		}
		t.Run(tc.text, func(t *testing.T) {
			checkRawValue(t, mysql.MYSQL_TYPE_NEWDECIMAL, meta, tc.scale == 3, decimalStored(tc.text, tc.prec, tc.scale))
		})
	}
	t.Run("wide decimals stay with go-mysql", func(t *testing.T) {
		for _, meta := range []uint16{19<<8 | 0, 65<<8 | 30, 20<<8 | 2, 2<<8 | 3} {
			if n := decimalBytes(meta); n != 0 {
				t.Errorf("DECIMAL meta %#x: %d bytes, want 0 (go-mysql decodes it)", meta, n)
			}
		}
	})
}

func TestRawUnsignedMatchesGoMySQL(t *testing.T) {
	cases := []struct {
		name  string
		typ   byte
		value []byte
	}{
		{"tinyint", mysql.MYSQL_TYPE_TINY, []byte{0xFF}},
		{"smallint", mysql.MYSQL_TYPE_SHORT, []byte{0xFF, 0xFF}},
		{"mediumint", mysql.MYSQL_TYPE_INT24, []byte{0xFF, 0xFF, 0xFF}},
		{"mediumint small", mysql.MYSQL_TYPE_INT24, []byte{0x01, 0x00, 0x80}},
		{"int", mysql.MYSQL_TYPE_LONG, []byte{0xFF, 0xFF, 0xFF, 0xFF}},
		{"bigint", mysql.MYSQL_TYPE_LONGLONG, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
		{"bigint 2^63", mysql.MYSQL_TYPE_LONGLONG, []byte{0, 0, 0, 0, 0, 0, 0, 0x80}},
	}
	for _, tc := range cases {
		for _, unsigned := range []bool{true, false} {
			t.Run(tc.name, func(t *testing.T) { checkRawValue(t, tc.typ, 0, unsigned, tc.value) })
		}
	}
}

func FuzzDecimalMatchesGoMySQL(f *testing.F) {
	f.Add(uint8(12), uint8(2), decimalStored("12.30", 12, 2))
	f.Add(uint8(12), uint8(2), decimalStored("-9999999999.99", 12, 2))
	f.Add(uint8(18), uint8(9), decimalStored("123456789.123456789", 18, 9))
	f.Add(uint8(10), uint8(0), []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, prec, scale uint8, value []byte) {
		meta := uint16(prec)<<8 | uint16(scale)
		n := decimalBytes(meta)
		if n == 0 {
			return
		}
		value = append(value[:min(len(value), n):min(len(value), n)], make([]byte, max(0, n-len(value)))...)
		checkRawValue(t, mysql.MYSQL_TYPE_NEWDECIMAL, meta, false, value)
	})
}
