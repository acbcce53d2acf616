package canal

import "unicode/utf8"

// latin1High maps bytes 0x80-0x9F of MariaDB's latin1 to Unicode. MariaDB's latin1 is cp1252
// (Windows-1252), not ISO-8859-1: 0x80 is '€', 0x92 '’', 0x96 '–'; the five bytes cp1252 leaves
// undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the C1 controls of the same value. This is
// what the source itself returns for the bytes over a utf8mb4 connection (CONVERT(... USING
// utf8mb4)), which backfill, verify and repair read; bytes 0x00-0x7F and 0xA0-0xFF are the same
// code points in both. Checked against the server byte by byte in TestLatin1IsTheSourcesLatin1.
var latin1High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// decodeLatin1 converts latin1 bytes to UTF-8 text as the source does.
func decodeLatin1(b []byte) string {
	return string(appendLatin1(make([]byte, 0, len(b)+len(b)/4), b))
}

// appendLatin1 appends decodeLatin1(b) to dst.
func appendLatin1(dst, b []byte) []byte {
	for _, c := range b {
		switch {
		case c < utf8.RuneSelf:
			dst = append(dst, c)
		case c < 0xA0:
			dst = utf8.AppendRune(dst, latin1High[c-0x80])
		default:
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}
