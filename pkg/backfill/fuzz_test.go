package backfill

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// FuzzBinaryKeyRoundTrip: a binary value read from the source, encoded for an event and turned
// back into a query argument (resume keys, repair keys) must give the original bytes, and the
// encoded form must be valid UTF-8 (the event format requires it).
func FuzzBinaryKeyRoundTrip(f *testing.F) {
	for _, s := range [][]byte{nil, {0}, []byte("abc"), {0xff, 0xfe, 0x80}, []byte("é")} {
		f.Add(s)
	}
	c := Column{Name: "k", MySQLType: "varbinary(255)"}
	c.Type.Base = "varbinary"
	f.Fuzz(func(t *testing.T, raw []byte) {
		if raw == nil {
			raw = []byte{}
		}
		enc, err := encodeValue(&c, raw)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(*enc) {
			t.Fatalf("encoded %q is not valid UTF-8", *enc)
		}
		arg, err := keyArg(&c, *enc)
		if err != nil {
			t.Fatal(err)
		}
		if b, ok := arg.([]byte); !ok || !bytes.Equal(b, raw) {
			t.Fatalf("round trip of %x gave %v", raw, arg)
		}
	})
}

// FuzzBitValue: BIT values of up to 8 bytes encode as the decimal of their big-endian value and
// come back as that integer.
func FuzzBitValue(f *testing.F) {
	f.Add([]byte{0x01, 0x00})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	c := Column{Name: "b", MySQLType: "bit(64)"}
	c.Type.Base = "bit"
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) == 0 || len(raw) > 8 {
			return
		}
		enc, err := encodeValue(&c, raw)
		if err != nil {
			t.Fatal(err)
		}
		arg, err := keyArg(&c, *enc)
		if err != nil {
			t.Fatal(err)
		}
		var want uint64
		for _, x := range raw {
			want = want<<8 | uint64(x)
		}
		if arg.(uint64) != want {
			t.Fatalf("bit %x -> %q -> %v, want %d", raw, *enc, arg, want)
		}
	})
}
