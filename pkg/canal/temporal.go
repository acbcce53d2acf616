package canal

import (
	"strconv"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// DATETIME2 and TIMESTAMP2 values are formatted by the tailer, not by go-mysql.
//
// With ParseTime off, go-mysql formats every DATETIME2 value with fmt.Sprintf and every TIMESTAMP2
// value with time.Format: about a fifth of the tailer's CPU on the order rows. ParseTime on is no
// way out: it builds a time.Time, which turns a date the source stores as is (2020-02-30 under
// ALLOW_INVALID_DATES) into March 1. So the tailer's rows-event decoder (rawDecoder, rawdecode.go)
// has go-mysql return the value's bytes, and column.format turns them into exactly the text
// go-mysql would have produced (datetime2Text, timestamp2Text; FuzzTemporalMatchesGoMySQL and
// TestRawTemporalMatchesGoMySQL hold the two equal).

// temporalBytes returns the byte width of a DATETIME2 or TIMESTAMP2 column with fsp dec, or 0 for
// any other column (and for a fsp above 6, which go-mysql is left to decode as it does).
func temporalBytes(typ byte, dec uint16) int {
	if dec > 6 {
		return 0
	}
	switch typ {
	case mysql.MYSQL_TYPE_DATETIME2:
		return 5 + int(dec+1)/2
	case mysql.MYSQL_TYPE_TIMESTAMP2:
		return 4 + int(dec+1)/2
	}
	return 0
}

// fracScale maps a fsp to the factor go-mysql applies to the stored fraction to get microseconds.
var fracScale = [7]int64{1, 10000, 10000, 100, 100, 1, 1}

// splitRaw splits the raw value of a temporal column with fsp dec into its integer part (the
// bytes before the (dec+1)/2 fraction bytes) and its fraction in microseconds.
func splitRaw(raw uint64, dec int) (intPart uint64, frac int64) {
	fb := uint(8 * ((dec + 1) / 2))
	return raw >> fb, int64(raw&(1<<fb-1)) * fracScale[dec]
}

// datetime2Text is go-mysql's DATETIME2 text (decodeDatetime2 with ParseTime off) from the
// column's raw bytes as a big-endian integer.
func datetime2Text(raw uint64, dec int) string {
	var buf [48]byte
	return string(appendDatetime2(buf[:0], raw, dec))
}

// appendDatetime2 appends datetime2Text(raw, dec) to b.
func appendDatetime2(b []byte, raw uint64, dec int) []byte {
	ip, frac := splitRaw(raw, dec)
	intPart := int64(ip) - replication.DATETIMEF_INT_OFS
	if intPart == 0 {
		return appendFrac(append(b, "0000-00-00 00:00:00"...), frac, dec)
	}
	tmp := intPart<<24 + frac
	if tmp < 0 {
		tmp = -tmp
	}
	ymdhms := tmp >> 24
	ymd, hms := ymdhms>>17, ymdhms%(1<<17)
	ym := ymd >> 5
	b = appendDateTime(b, ym/13, ym%13, ymd%(1<<5), hms>>12, (hms>>6)%(1<<6), hms%(1<<6))
	return appendFrac(b, frac, dec)
}

// timestamp2Text is go-mysql's TIMESTAMP2 text (decodeTimestamp2 with ParseTime off and
// TimestampStringLocation UTC) from the column's raw bytes as a big-endian integer.
func timestamp2Text(raw uint64, dec int) string {
	var buf [48]byte
	return string(appendTimestamp2(buf[:0], raw, dec))
}

// appendTimestamp2 appends timestamp2Text(raw, dec) to b.
func appendTimestamp2(b []byte, raw uint64, dec int) []byte {
	sec, usec := splitRaw(raw, dec)
	if sec == 0 {
		return appendFrac(append(b, "0000-00-00 00:00:00"...), usec, dec)
	}
	if usec >= 1e6 { // not written by a server; time.Unix carries it into the seconds
		return time.Unix(int64(sec), usec*1000).UTC().AppendFormat(b, fracTimeLayout[dec])
	}
	t := time.Unix(int64(sec), 0).UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = appendDateTime(b, int64(y), int64(mo), int64(d), int64(h), int64(mi), int64(s))
	return appendFrac(b, usec, dec)
}

// fracTimeLayout is go-mysql's time layout per fsp.
var fracTimeLayout = [7]string{"2006-01-02 15:04:05", "2006-01-02 15:04:05.0", "2006-01-02 15:04:05.00",
	"2006-01-02 15:04:05.000", "2006-01-02 15:04:05.0000", "2006-01-02 15:04:05.00000", "2006-01-02 15:04:05.000000"}

// appendDateTime appends "%04d-%02d-%02d %02d:%02d:%02d" of the fields (negative ones only from
// bytes no server writes, kept exact all the same).
func appendDateTime(b []byte, year, month, day, hour, minute, second int64) []byte {
	b = appendPadded(b, year, 4)
	for i, v := range [5]int64{month, day, hour, minute, second} {
		b = append(b, "-- ::"[i])
		b = appendPadded(b, v, 2)
	}
	return b
}

// appendFrac appends go-mysql's fraction: ".%06d" of frac without its last 6-dec characters
// (nothing when dec is 0).
func appendFrac(b []byte, frac int64, dec int) []byte {
	if dec == 0 {
		return b
	}
	b = appendPadded(append(b, '.'), frac, 6)
	return b[:len(b)-(6-dec)]
}

// appendPadded appends v in decimal as %0<width>d does: zero-padded to width characters, a minus
// sign included. The fields here are far from the int64 limits.
func appendPadded(b []byte, v int64, width int) []byte {
	if width == 2 && v >= 0 && v < 100 { // nearly every field
		return append(b, byte('0'+v/10), byte('0'+v%10))
	}
	if v < 0 {
		b, v, width = append(b, '-'), -v, width-1
	}
	for n, x := 1, v; n < width; n++ {
		if x /= 10; x == 0 {
			b = append(b, '0')
		}
	}
	return strconv.AppendInt(b, v, 10)
}
