package canal

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// DECIMAL values of at most 8 stored bytes (precision up to 18 or so, every money column of the
// order schema) reach column.format as their stored bytes (rawdecode.go); decimalText writes the
// text go-mysql's decodeDecimal writes for them (FuzzDecimalMatchesGoMySQL holds the two equal).
//
// The stored form (MySQL's decimal2bin): the integer digits, then the fraction digits, each part
// in groups of 9 digits stored in 4 bytes and a leftover group of 1-8 digits stored in
// decimalGroupBytes of them (the integer part's leftover first, the fraction's last); all
// big-endian, the first byte's top bit flipped, and every byte inverted for a negative value.

const digitsPerGroup = 9

// decimalGroupBytes is the stored width of a leftover group of n digits.
var decimalGroupBytes = [digitsPerGroup]int{0, 1, 1, 2, 2, 3, 3, 4, 4}

// decimalParts returns a DECIMAL's digit counts from its table map metadata (precision << 8 |
// scale).
func decimalParts(meta uint16) (intg, frac int) {
	prec, scale := int(meta>>8), int(meta&0xFF)
	return prec - scale, scale
}

// decimalBytes returns the stored width of a DECIMAL column with table map metadata meta, or 0
// when it is wider than 8 bytes or meta is one no server writes (go-mysql then decodes it).
func decimalBytes(meta uint16) int {
	intg, frac := decimalParts(meta)
	if intg < 0 || intg+frac == 0 || intg+frac > 65 {
		return 0
	}
	n := intg/digitsPerGroup*4 + decimalGroupBytes[intg%digitsPerGroup] +
		frac/digitsPerGroup*4 + decimalGroupBytes[frac%digitsPerGroup]
	if n > 8 {
		return 0
	}
	return n
}

// decimalText is go-mysql's text of a DECIMAL with metadata meta (decimalBytes(meta) > 0) from
// its stored bytes as a big-endian integer. Bytes no server writes (a 4-byte group above
// 999,999,999) are an error where go-mysql would panic.
func decimalText(raw uint64, meta uint16) (string, error) {
	out, err := appendDecimal(make([]byte, 0, 24), raw, meta)
	return string(out), err
}

// appendDecimal appends decimalText(raw, meta) to out.
func appendDecimal(out []byte, raw uint64, meta uint16) ([]byte, error) {
	n := decimalBytes(meta)
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], raw)
	data := buf[8-n:]
	var mask byte
	if data[0]&0x80 == 0 {
		mask = 0xFF
		out = append(out, '-')
	}
	data[0] ^= 0x80
	for i := range data {
		data[i] ^= mask
	}
	intg, frac := decimalParts(meta)
	out, data, err := appendDecimalInt(out, data, intg)
	if err != nil || frac == 0 {
		return out, err
	}
	return appendDecimalFrac(append(out, '.'), data, frac)
}

// appendDecimalInt appends the integer part (intg digits stored at the front of data) without
// leading zeros, "0" when it is zero, and returns the rest of data.
func appendDecimalInt(out, data []byte, intg int) ([]byte, []byte, error) {
	lead := intg % digitsPerGroup
	v, data := decimalGroup(data, decimalGroupBytes[lead])
	started := v != 0
	if started {
		out = strconv.AppendUint(out, v, 10)
	}
	for range intg / digitsPerGroup {
		v, data = decimalGroup(data, 4)
		switch {
		case started:
			var err error
			if out, err = appendPaddedGroup(out, v, digitsPerGroup); err != nil {
				return nil, nil, err
			}
		case v != 0:
			out, started = strconv.AppendUint(out, v, 10), true
		}
	}
	if !started {
		out = append(out, '0')
	}
	return out, data, nil
}

// appendDecimalFrac appends the fraction part (frac digits stored in data).
func appendDecimalFrac(out, data []byte, frac int) ([]byte, error) {
	var v uint64
	for range frac / digitsPerGroup {
		v, data = decimalGroup(data, 4)
		var err error
		if out, err = appendPaddedGroup(out, v, digitsPerGroup); err != nil {
			return nil, err
		}
	}
	if rest := frac % digitsPerGroup; rest > 0 {
		v, _ = decimalGroup(data, decimalGroupBytes[rest])
		// go-mysql pads a short leftover group and writes a long one (bytes no server writes) whole.
		for w := decimalDigits(v); w < rest; w++ {
			out = append(out, '0')
		}
		out = strconv.AppendUint(out, v, 10)
	}
	return out, nil
}

// decimalGroup reads a big-endian group of n bytes from the front of data.
func decimalGroup(data []byte, n int) (uint64, []byte) {
	return bigEndian(data[:n]), data[n:]
}

// appendPaddedGroup appends a full group zero-padded to width digits.
func appendPaddedGroup(out []byte, v uint64, width int) ([]byte, error) {
	var tmp [20]byte
	s := strconv.AppendUint(tmp[:0], v, 10)
	if len(s) > width {
		return nil, fmt.Errorf("decimal group %d has more than %d digits: corrupt DECIMAL bytes", v, width)
	}
	for range width - len(s) {
		out = append(out, '0')
	}
	return append(out, s...), nil
}

// decimalDigits is the number of decimal digits of v.
func decimalDigits(v uint64) int {
	n := 1
	for ; v >= 10; v /= 10 {
		n++
	}
	return n
}
